/* Clauses & Label — behaviour shared by every page (loaded after htmx, on every page).
 *
 * The Content-Security-Policy forbids inline scripts, event attributes (onclick) and style
 * attributes: templates describe what they need with data- attributes, applied here, on the
 * page and again on every fragment htmx brings in.
 *   data-largeur="40"  width of a progress bar, in percent
 *   data-gauche="50"   left position of a marker, in percent
 *   data-imprimer      a button that prints the page
 *   data-replier-petit-ecran   a <details> (the filters of a list) folded on a phone, unless
 *                      it also has data-filtres-actifs
 *   data-recopie-de="id_x"  a field that follows field id_x while it is empty (or still
 *                      holds the last value copied): the lot's amount fills the clause's
 *                      « montant HT retenu » on the lot page
 */
(function () {
  "use strict";

  function pourcentage(valeur) {
    var nombre = parseFloat(valeur);
    if (isNaN(nombre)) { return null; }
    return Math.max(0, Math.min(100, nombre)) + "%";
  }

  function appliquer(racine) {
    var elements = Array.prototype.slice.call(
      racine.querySelectorAll("[data-largeur], [data-gauche]"));
    if (racine.matches && racine.matches("[data-largeur], [data-gauche]")) { elements.push(racine); }
    elements.forEach(function (element) {
      var largeur = pourcentage(element.getAttribute("data-largeur"));
      var gauche = pourcentage(element.getAttribute("data-gauche"));
      if (largeur !== null) { element.style.width = largeur; }
      if (gauche !== null) { element.style.left = gauche; }
    });
  }

  document.addEventListener("click", function (evenement) {
    var bouton = evenement.target.closest("[data-imprimer]");
    if (bouton) { window.print(); }
  });

  function replierSurPetitEcran() {
    if (!window.matchMedia || !window.matchMedia("(max-width: 767.98px)").matches) { return; }
    document.querySelectorAll("details[data-replier-petit-ecran]:not([data-filtres-actifs])")
      .forEach(function (details) { details.open = false; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", replierSurPetitEcran);
  } else {
    replierSurPetitEcran();
  }
  document.addEventListener("input", function (evenement) {
    var source = evenement.target;
    if (!source.id) { return; }
    document.querySelectorAll('[data-recopie-de="' + source.id + '"]').forEach(function (cible) {
      var copie = cible.getAttribute("data-recopie") || "";
      if (cible.value === "" || cible.value === copie) {
        cible.value = source.value;
        cible.setAttribute("data-recopie", source.value);
        cible.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });

  if (window.htmx) {
    window.htmx.onLoad(appliquer);
  } else {
    appliquer(document);
  }
})();
