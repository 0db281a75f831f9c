/* koki: small progressive enhancements. Every page works without this file (CSP: no inline
   scripts; this file is loaded with <script src defer>). */
(function () {
  "use strict";

  // After a failed submit, move focus to the error summary so that screen readers read it
  // first. The summary also carries `autofocus`; this covers browsers that ignore it there.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary && document.activeElement !== summary) {
      summary.focus();
    }
  }

  // A link in the error summary focuses its field (a plain #anchor only scrolls) and shows the
  // field's label or legend too, which would otherwise be scrolled out of view.
  function linkErrorsToFields() {
    var summary = document.getElementById("error-summary");
    if (!summary) {
      return;
    }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
      var label = field.type === "radio" && legend
        ? legend
        : document.querySelector("label[for='" + field.id + "']") || field;
      label.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    linkErrorsToFields();
  });
})();
