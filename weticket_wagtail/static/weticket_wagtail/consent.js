/* weticket-wagtail cookie consent, part 1 of 2: the visitor's choice, read in the browser.
 *
 * Loaded first in <head>, synchronously ({% consent_head %}), so that Google Consent Mode's
 * defaults (everything denied) are in the dataLayer before any tag can run. Reads the choice
 * cookie of django-cookie-consent against the settings in #weticket-consent-config (the
 * groups' current versions, the privacy statement's marker) and, for a visitor who already
 * chose, updates Consent Mode at once. Exposes window.weticketConsent for consent-ui.js.
 * No inline script, no build step.
 */
(function () {
  "use strict";

  window.dataLayer = window.dataLayer || [];
  if (typeof window.gtag !== "function") {
    window.gtag = function () {
      window.dataLayer.push(arguments);
    };
  }
  window.gtag("consent", "default", {
    ad_storage: "denied",
    ad_user_data: "denied",
    ad_personalization: "denied",
    analytics_storage: "denied",
    functionality_storage: "granted",
    security_storage: "granted",
    wait_for_update: 500,
  });

  var element = document.getElementById("weticket-consent-config");
  if (!element) {
    return;
  }
  var config = JSON.parse(element.textContent);

  function unquote(value) {
    // Django quotes a cookie value that contains "=" and escapes a few characters in it.
    if (value.length > 1 && value.charAt(0) === '"' && value.charAt(value.length - 1) === '"') {
      value = value
        .slice(1, -1)
        .replace(/\\([0-7]{3})/g, function (match, octal) {
          return String.fromCharCode(parseInt(octal, 8));
        })
        .replace(/\\(.)/g, "$1");
    }
    return value;
  }

  function readCookie() {
    var prefix = config.cookie + "=";
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].indexOf(prefix) === 0) {
        return unquote(parts[i].slice(prefix.length));
      }
    }
    return "";
  }

  function entries() {
    var result = {};
    readCookie()
      .split("|")
      .forEach(function (pair) {
        var bits = pair.split("=");
        if (bits.length === 2) {
          result[bits[0]] = bits[1];
        }
      });
    return result;
  }

  /* The choice as django-cookie-consent judges it: a group is accepted when the version kept
   * for it is at least the group's current one, declined when "-1" is kept, undecided
   * otherwise. A choice made under an older material statement version counts for nothing. */
  function state() {
    var stored = entries();
    var stale = (parseInt(stored[".policy"] || "0", 10) || 0) < config.policy;
    var result = {
      consentId: stored[".id"] || "",
      accepted: [],
      declined: [],
      undecided: [],
    };
    config.groups.forEach(function (group) {
      var kept = stale ? undefined : stored[group.varname];
      if (kept === config.decline) {
        result.declined.push(group.varname);
      } else if (kept !== undefined && kept >= group.version) {
        result.accepted.push(group.varname);
      } else {
        result.undecided.push(group.varname);
      }
    });
    return result;
  }

  function consentModeUpdate(accepted) {
    var update = {};
    Object.keys(config.consentMode || {}).forEach(function (group) {
      config.consentMode[group].forEach(function (type) {
        if (!(type in update)) {
          update[type] = "denied";
        }
        if (accepted.indexOf(group) !== -1) {
          update[type] = "granted";
        }
      });
    });
    return update;
  }

  function applyConsentMode(current) {
    window.gtag("consent", "update", consentModeUpdate(current.accepted));
  }

  var initial = state();
  if (initial.accepted.length) {
    applyConsentMode(initial);
  }

  window.weticketConsent = {
    config: config,
    state: state,
    applyConsentMode: applyConsentMode,
  };
})();
