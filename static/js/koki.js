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

  // A join link's waiting page states the opening time. When that time comes while the page is
  // open, say so once (a status message) and turn "Check again" into "Join now": no ticking
  // text, and no reload that would take someone into the meeting without a click.
  function announceOpening() {
    var element = document.querySelector("[data-opens-at]");
    if (!element) {
      return;
    }
    var left = Date.parse(element.getAttribute("data-opens-at")) - Date.now();
    if (left <= 0 || left > 24 * 3600 * 1000) {
      return;
    }
    window.setTimeout(function () {
      element.textContent = element.getAttribute("data-open-text");
      var button = document.querySelector("[data-join-button]");
      if (button) {
        button.textContent = button.getAttribute("data-join-button");
      }
    }, left);
  }

  // The room picker (registrations/includes/room_picker.html): the waiting-list choice belongs
  // to a chosen room that is full but still has a waiting list. Move it into that room's card,
  // right after its radio in the tab order; leaving for a room with seats unticks it.
  function placeWaitlistChoice() {
    var choice = document.querySelector("[data-waitlist-choice]");
    var options = document.querySelector("[data-room-options]");
    if (!choice || !options) {
      return;
    }
    var checkbox = choice.querySelector("input[type=checkbox]");
    function place() {
      var chosen = options.querySelector("input[type=radio]:checked");
      var card = chosen && chosen.closest(".room-option");
      if (card && card.classList.contains("room-waitlist")) {
        card.appendChild(choice);
      } else if (choice.parentNode !== options.parentNode) {
        options.parentNode.appendChild(choice);
        if (checkbox) {
          checkbox.checked = false;
        }
      }
    }
    options.addEventListener("change", place);
    place();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    linkErrorsToFields();
    announceOpening();
    placeWaitlistChoice();
  });
})();
