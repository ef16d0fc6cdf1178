/* Clauses & Label — search-as-you-type choice fields (mife/core/autocomplete.py).
 *
 * The server renders <select data-choix-url="/choix/entreprises/"> holding only the selected
 * option(s). This script puts an accessible combobox in front of it (ARIA 1.2 pattern
 * « combobox with listbox popup »):
 *   - a text field (role="combobox", aria-expanded, aria-controls, aria-activedescendant)
 *     that takes over the select's id, so that its <label> and the error links point to it;
 *   - a list of suggestions (role="listbox") filled from the endpoint as the user types;
 *   - keyboard: Down / Up move in the list, Enter chooses, Escape closes (a second Escape
 *     restores the chosen value), Tab leaves;
 *   - a polite live region announces the number of suggestions.
 * The select stays in the form (hidden) and carries the chosen id(s).
 *   data-choix-params="actives=1"  fixed parameters sent to the endpoint
 *   data-choix-depend="entreprise" the value of that field of the form is sent along
 */
(function () {
  "use strict";

  var compteur = 0;
  var DELAI = 200;

  function creer(balise, classes, attributs) {
    var element = document.createElement(balise);
    if (classes) { element.className = classes; }
    Object.keys(attributs || {}).forEach(function (nom) {
      element.setAttribute(nom, attributs[nom]);
    });
    return element;
  }

  function ameliorer(select) {
    if (select.hasAttribute("data-choix-pret")) { return; }
    select.setAttribute("data-choix-pret", "");
    compteur += 1;
    var multiple = select.multiple;
    var identifiant = select.id || "choix-" + compteur;
    var idListe = identifiant + "-suggestions";
    var petit = select.classList.contains("form-select-sm");

    var conteneur = creer("div", "choix-recherche");
    var saisie = creer("input", "form-control" + (petit ? " form-control-sm" : ""), {
      type: "text",
      role: "combobox",
      autocomplete: "off",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": idListe,
      placeholder: "Tapez pour chercher…"
    });
    ["aria-describedby", "aria-invalid"].forEach(function (nom) {
      if (select.hasAttribute(nom)) { saisie.setAttribute(nom, select.getAttribute(nom)); }
    });
    if (select.classList.contains("is-invalid")) { saisie.classList.add("is-invalid"); }
    if (select.required && !multiple) {
      saisie.required = true;
      select.required = false;
    }
    var liste = creer("ul", "choix-suggestions list-group", { id: idListe, role: "listbox" });
    liste.hidden = true;
    var annonce = creer("div", "visually-hidden", { "aria-live": "polite" });
    var choisis = multiple ? creer("ul", "choix-choisis list-unstyled mb-1") : null;

    select.id = identifiant + "-valeur";
    saisie.id = identifiant;
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.parentNode.insertBefore(conteneur, select);
    if (choisis) { conteneur.appendChild(choisis); }
    conteneur.appendChild(saisie);
    conteneur.appendChild(liste);
    conteneur.appendChild(annonce);
    conteneur.appendChild(select);
    if (liste.id && saisie.labels && saisie.labels.length) {
      liste.setAttribute("aria-label", saisie.labels[0].textContent.replace("*", "").trim());
    }

    var resultats = [];
    var actif = -1;
    var minuterie = null;
    var requete = 0;

    function libelleChoisi() {
      var option = select.selectedOptions[0];
      return !multiple && option && option.value ? option.textContent : "";
    }

    function dessinerChoisis() {
      if (!choisis) { return; }
      choisis.textContent = "";
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.selected || !option.value) { return; }
        var ligne = creer("li", "d-inline-block me-1 mb-1");
        var bouton = creer("button", "btn btn-sm btn-outline-secondary", { type: "button" });
        bouton.textContent = option.textContent + " ";
        var croix = creer("span", "", { "aria-hidden": "true" });
        croix.textContent = "×";
        bouton.appendChild(croix);
        var texte = creer("span", "visually-hidden");
        texte.textContent = " (retirer)";
        bouton.appendChild(texte);
        bouton.addEventListener("click", function () {
          option.remove();
          dessinerChoisis();
          select.dispatchEvent(new Event("change", { bubbles: true }));
          saisie.focus();
        });
        ligne.appendChild(bouton);
        choisis.appendChild(ligne);
      });
    }

    function fermer() {
      liste.hidden = true;
      liste.textContent = "";
      saisie.setAttribute("aria-expanded", "false");
      saisie.removeAttribute("aria-activedescendant");
      actif = -1;
    }

    function activer(index) {
      var options = liste.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      actif = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, i) {
        option.classList.toggle("active", i === actif);
        option.setAttribute("aria-selected", i === actif ? "true" : "false");
      });
      saisie.setAttribute("aria-activedescendant", options[actif].id);
      options[actif].scrollIntoView({ block: "nearest" });
    }

    function choisir(index) {
      var resultat = resultats[index];
      if (!resultat) { return; }
      var valeur = String(resultat.id);
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === valeur; });
      if (!multiple) {
        Array.prototype.slice.call(select.options).forEach(function (o) {
          if (o.value) { o.remove(); }
        });
        option = null;
      }
      if (!option) {
        option = new Option(resultat.libelle, valeur, true, true);
        select.add(option);
      }
      option.selected = true;
      saisie.value = multiple ? "" : resultat.libelle;
      fermer();
      dessinerChoisis();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function afficher(donnees) {
      resultats = donnees.resultats;
      liste.textContent = "";
      actif = -1;
      saisie.removeAttribute("aria-activedescendant");
      resultats.forEach(function (resultat, index) {
        var option = creer("li", "list-group-item list-group-item-action", {
          role: "option",
          id: idListe + "-" + index,
          "aria-selected": "false"
        });
        option.textContent = resultat.libelle;
        if (resultat.detail) {
          var detail = creer("span", "d-block small choix-detail");
          detail.textContent = resultat.detail;
          option.appendChild(detail);
        }
        option.addEventListener("mousedown", function (evenement) {
          evenement.preventDefault();
          choisir(index);
        });
        liste.appendChild(option);
      });
      var note = null;
      if (!resultats.length) {
        note = "Aucun résultat.";
      } else if (donnees.suite) {
        note = "D'autres résultats existent : précisez la saisie.";
      }
      if (note) {
        var ligne = creer("li", "list-group-item small choix-note", { role: "presentation" });
        ligne.textContent = note;
        liste.appendChild(ligne);
      }
      liste.hidden = false;
      saisie.setAttribute("aria-expanded", "true");
      annonce.textContent = resultats.length
        ? resultats.length + (donnees.suite ? " premières suggestions" : (resultats.length > 1 ? " suggestions" : " suggestion"))
        : "Aucun résultat";
    }

    function chercher() {
      var adresse = select.getAttribute("data-choix-url") + "?q=" + encodeURIComponent(saisie.value.trim());
      var fixes = select.getAttribute("data-choix-params");
      if (fixes) { adresse += "&" + fixes; }
      var depend = select.getAttribute("data-choix-depend");
      if (depend && select.form && select.form.elements[depend]) {
        adresse += "&" + encodeURIComponent(depend) + "=" + encodeURIComponent(select.form.elements[depend].value);
      }
      requete += 1;
      var numero = requete;
      fetch(adresse, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (reponse) { return reponse.ok ? reponse.json() : { resultats: [], suite: false }; })
        .then(function (donnees) {
          if (numero === requete && document.activeElement === saisie) { afficher(donnees); }
        });
    }

    saisie.value = libelleChoisi();
    dessinerChoisis();

    saisie.addEventListener("input", function () {
      clearTimeout(minuterie);
      minuterie = setTimeout(chercher, DELAI);
    });
    saisie.addEventListener("focus", function () {
      if (!saisie.value) {
        clearTimeout(minuterie);
        minuterie = setTimeout(chercher, DELAI);
      }
    });
    saisie.addEventListener("keydown", function (evenement) {
      var ouverte = !liste.hidden;
      if (evenement.key === "ArrowDown") {
        evenement.preventDefault();
        if (ouverte) { activer(actif + 1); } else { chercher(); }
      } else if (evenement.key === "ArrowUp") {
        if (ouverte) {
          evenement.preventDefault();
          activer(actif - 1);
        }
      } else if (evenement.key === "Enter") {
        if (ouverte && actif >= 0) {
          evenement.preventDefault();
          choisir(actif);
        }
      } else if (evenement.key === "Escape") {
        if (ouverte) {
          evenement.preventDefault();
          fermer();
        } else if (!multiple) {
          saisie.value = libelleChoisi();
        }
      }
    });
    saisie.addEventListener("blur", function () {
      fermer();
      if (multiple) {
        saisie.value = "";
      } else if (!saisie.value.trim()) {
        if (select.value) {
          select.value = "";
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else {
        saisie.value = libelleChoisi();
      }
    });

    // A field that depends on this one (the lots of the chosen company) is emptied when
    // this one changes.
    select.addEventListener("change", function () {
      if (!select.form) { return; }
      Array.prototype.forEach.call(
        select.form.querySelectorAll("select[data-choix-depend='" + select.name + "']"),
        function (dependant) {
          if (dependant.value) {
            dependant.value = "";
            var texte = document.getElementById(dependant.id.replace(/-valeur$/, ""));
            if (texte) { texte.value = ""; }
          }
        });
    });
  }

  function appliquer(racine) {
    var selects = Array.prototype.slice.call(racine.querySelectorAll("select[data-choix-url]"));
    if (racine.matches && racine.matches("select[data-choix-url]")) { selects.push(racine); }
    selects.forEach(ameliorer);
  }

  if (window.htmx) {
    window.htmx.onLoad(appliquer);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { appliquer(document); });
  } else {
    appliquer(document);
  }
})();
