/* koki: the check on the register form (registrations/hoarding.py), loaded only when the form
   asks for it. Finds a number N such that SHA-256("<token>:<N>") starts with `bits` zero bits,
   puts it into the hidden field "proof" and hides the question. Without this script, or without
   Web Crypto (a page not served over HTTPS), the person answers the question instead. */
(function () {
  "use strict";

  var BATCH = 256;

  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0) {
        return count + Math.clz32(bytes[i]) - 24;
      }
      count += 8;
    }
    return count;
  }

  function solve(token, bits, start) {
    var encoder = new TextEncoder();
    var digests = [];
    for (var n = start; n < start + BATCH; n++) {
      digests.push(crypto.subtle.digest("SHA-256", encoder.encode(token + ":" + n)));
    }
    return Promise.all(digests).then(function (results) {
      for (var i = 0; i < results.length; i++) {
        if (zeroBits(new Uint8Array(results[i])) >= bits) {
          return String(start + i);
        }
      }
      return solve(token, bits, start + BATCH);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-pow]");
    if (!box || !window.crypto || !window.crypto.subtle || !window.TextEncoder) {
      return;
    }
    var form = box.closest("form");
    var proof = form.querySelector("input[name='proof']");
    var answer = form.querySelector("input[name='answer']");
    var question = document.getElementById("div_id_answer");
    var status = document.createElement("p");
    var done = false;
    var sendWhenDone = false;
    status.setAttribute("role", "status");
    status.textContent = box.getAttribute("data-pow-working");
    box.appendChild(status);
    // Sent before the browser is done (and without an answer typed in): send once it is.
    form.addEventListener("submit", function (event) {
      if (!done && !(answer && answer.value)) {
        event.preventDefault();
        sendWhenDone = true;
      }
    });
    solve(box.getAttribute("data-pow"), parseInt(box.getAttribute("data-pow-bits"), 10), 0).then(
      function (found) {
        proof.value = found;
        done = true;
        if (question) {
          question.hidden = true;
        }
        status.textContent = box.getAttribute("data-pow-done");
        if (sendWhenDone) {
          form.submit();
        }
      }
    );
  });
})();
