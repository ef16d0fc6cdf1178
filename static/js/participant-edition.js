/* Participant form: add an eligibility criterion row from the <template>, then focus the
 * first message that needs attention (duplicates, errors, edit conflict). */
(function () {
  "use strict";
  var bouton = document.getElementById("ajouter-critere");
  var modele = document.getElementById("modele-critere");
  var total = document.getElementById("id_criteres-TOTAL_FORMS");
  var lignes = document.getElementById("lignes-criteres");
  if (bouton && modele && total && lignes) {
    bouton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = modele.innerHTML.replace(/__prefix__/g, String(index));
      lignes.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var champ = document.getElementById("id_criteres-" + index + "-critere");
      if (champ) { champ.focus(); }
    });
  }
  var alerte = document.getElementById("doublons") ||
    document.querySelector("[id^=resume-erreurs]") || document.getElementById("conflit");
  if (alerte) { alerte.focus(); }
})();
