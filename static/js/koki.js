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

  // A join link's waiting page: count down to the opening time (the page states the time and
  // a rounded countdown without this), then load the page again, which now leads to the meeting.
  function countDown() {
    var element = document.querySelector("[data-countdown-to]");
    if (!element) {
      return;
    }
    var target = Date.parse(element.getAttribute("data-countdown-to"));
    var timer;
    function two(number) {
      return (number < 10 ? "0" : "") + number;
    }
    function tick() {
      var left = Math.ceil((target - Date.now()) / 1000);
      if (left <= 0) {
        window.clearInterval(timer);
        element.textContent = element.getAttribute("data-countdown-done");
        window.location.reload();
        return;
      }
      var hours = Math.floor(left / 3600);
      var rest = left % 3600;
      element.textContent = element.getAttribute("data-countdown-label") + " " + hours + ":" +
        two(Math.floor(rest / 60)) + ":" + two(rest % 60);
    }
    if (target - Date.now() < 24 * 3600 * 1000) {
      tick();
      timer = window.setInterval(tick, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    linkErrorsToFields();
    countDown();
  });
})();
