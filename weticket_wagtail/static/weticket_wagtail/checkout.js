/* weticket-wagtail checkout: the reservation countdown. No inline scripts, no build step. */
(function () {
  "use strict";
  // Blocks rendered without a request emit this script once each: set up only once.
  if (window.weticketCheckout) { return; }
  window.weticketCheckout = true;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function startTimer(el) {
    var expires = Date.parse(el.getAttribute("data-weticket-expires"));
    var out = el.querySelector("[data-weticket-left]");
    if (!out || isNaN(expires)) { return; }
    out.hidden = false;
    var label = document.documentElement.lang === "nl" ? "Nog " : "Time left: ";
    var expired = document.documentElement.lang === "nl" ? "Je reservering is verlopen." : "Your reservation has expired.";
    var announcedMinute = null;
    function tick() {
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      out.textContent = left > 0 ? label + Math.floor(left / 60) + ":" + pad(left % 60) : expired;
      var minute = Math.floor(left / 60);
      // Announce to screen readers once a minute, and at the end; not every second.
      if (minute !== announcedMinute && (left % 60 === 0 || announcedMinute === null)) {
        announcedMinute = minute;
        el.setAttribute("aria-live", left <= 60 ? "assertive" : "polite");
      }
      if (left > 0) { window.setTimeout(tick, 1000); }
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var timers = document.querySelectorAll("[data-weticket-expires]");
    for (var i = 0; i < timers.length; i++) { startTimer(timers[i]); }
    // Enter in a voucher field applies the code (without a script it reserves with it).
    var vouchers = document.querySelectorAll(".weticket-voucher input[name=voucher]");
    for (var j = 0; j < vouchers.length; j++) {
      vouchers[j].addEventListener("keydown", function (event) {
        if (event.key !== "Enter") { return; }
        var apply = this.parentNode.querySelector("button[name=apply_voucher]");
        if (apply) { event.preventDefault(); apply.click(); }
      });
    }
    var errors = document.getElementById("weticket-form-errors");
    if (errors) { errors.setAttribute("tabindex", "-1"); errors.focus(); }
  });
})();
