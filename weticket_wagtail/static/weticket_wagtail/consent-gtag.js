/* Google Analytics, started only once the visitor accepted the analytics group: the consent
 * script inserts this file together with Google's gtag.js (see {% consent_head %}). Consent
 * Mode's defaults and the visitor's choice are already in the dataLayer (consent.js). */
(function () {
  "use strict";
  var script = document.currentScript;
  var id = script && script.getAttribute("data-measurement-id");
  if (!id || typeof window.gtag !== "function") {
    return;
  }
  window.gtag("js", new Date());
  window.gtag("config", id);
})();
