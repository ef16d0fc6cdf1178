/* Declaration entry: keep the workflow forms on the latest version after rows were saved
 * with htmx. */
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSwap", function () {
    var version = document.getElementById("version_lue");
    if (!version) { return; }
    document.querySelectorAll("form input[name=version_lue]").forEach(function (champ) {
      champ.value = version.value;
    });
  });
})();
