/* elearn: small enhancements. Every page works without this file; the CSP allows scripts from this site only. */
(function () {
  "use strict";

  /* Contents panels (lesson contents, question navigator): a <details> that starts closed, so phones see the
     lesson first; opened on wide screens, where it sits beside the lesson. */
  var wide = window.matchMedia("(min-width: 60rem)");
  function placePanels() {
    var panels = document.querySelectorAll("details.js-open-when-wide");
    for (var i = 0; i < panels.length; i++) { panels[i].open = wide.matches; }
  }
  placePanels();
  if (wide.addEventListener) { wide.addEventListener("change", placePanels); }

  /* Warn before leaving a page whose form has unsaved changes. The listener exists only once a field
     has changed, and goes when the form is submitted. */
  function warn(event) {
    event.preventDefault();
    event.returnValue = "";
    return "";
  }
  var forms = document.querySelectorAll("form.js-warn-unsaved");
  for (var j = 0; j < forms.length; j++) {
    (function (form) {
      function changed() { window.addEventListener("beforeunload", warn); }
      form.addEventListener("change", changed);
      form.addEventListener("input", changed);
      form.addEventListener("submit", function () { window.removeEventListener("beforeunload", warn); });
    })(forms[j]);
  }
})();
