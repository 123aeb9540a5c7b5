/* weticket-wagtail cookie consent, part 2 of 2: the banner, the settings dialog and the
 * content behind consent.
 *
 * - Content behind consent is inert until its group is accepted: a <template
 *   data-weticket-consent="group"> ({% consent_gated %}, the gated embed block) or a
 *   <script type="text/plain" data-weticket-consent="group">. Accepting puts it into the page
 *   at once, without a reload; scripts in it run in document order.
 * - The banner shows (when the site asks for consent) while an optional group is undecided.
 *   "Accept all", "Reject all" and "Choose" are equal. The dialog is modal, labelled, keeps
 *   the focus inside, closes with Escape and gives the focus back to what opened it.
 * - A choice is posted to the consent endpoint, which sets the choice cookie and records it;
 *   one request pair per choice, none per page view. Withdrawn groups' cookies are deleted.
 * - [data-weticket-consent-open] anywhere (the "Cookie settings" link) opens the dialog.
 */
(function () {
  "use strict";

  var api = window.weticketConsent;
  if (!api) {
    return;
  }
  var config = api.config;
  var root = document.querySelector("[data-weticket-consent-root]");
  var banner = root && root.querySelector("#weticket-consent-banner");
  var dialog = root && root.querySelector("dialog");
  var opener = null;
  var busy = false;

  /* --- content behind consent -------------------------------------------------------- */

  function copyScript(old) {
    var script = document.createElement("script");
    for (var i = 0; i < old.attributes.length; i++) {
      var attribute = old.attributes[i];
      if (attribute.name !== "type" || attribute.value !== "text/plain") {
        script.setAttribute(attribute.name, attribute.value);
      }
    }
    if (!old.hasAttribute("async")) {
      script.async = false; // keep document order, as the parser would
    }
    script.text = old.text;
    return script;
  }

  function activateTemplate(template) {
    var wrapper = template.closest(".weticket-gated");
    var content = template.content.cloneNode(true);
    content.querySelectorAll("script").forEach(function (old) {
      old.replaceWith(copyScript(old));
    });
    template.replaceWith(content);
    if (wrapper) {
      wrapper.classList.add("weticket-gated--loaded");
      var placeholder = wrapper.querySelector(".weticket-gated__placeholder");
      if (placeholder) {
        placeholder.hidden = true;
      }
    }
  }

  function activate(accepted) {
    document.querySelectorAll("template[data-weticket-consent]").forEach(function (template) {
      if (accepted.indexOf(template.getAttribute("data-weticket-consent")) !== -1) {
        activateTemplate(template);
      }
    });
    document
      .querySelectorAll('script[type="text/plain"][data-weticket-consent]')
      .forEach(function (old) {
        if (accepted.indexOf(old.getAttribute("data-weticket-consent")) !== -1) {
          old.replaceWith(copyScript(old));
        }
      });
  }

  /* --- cookies of withdrawn groups ----------------------------------------------------- */

  function cookieNames() {
    return (document.cookie ? document.cookie.split("; ") : []).map(function (part) {
      return part.split("=")[0];
    });
  }

  function matches(pattern, name) {
    if (pattern.indexOf("*") === -1) {
      return pattern === name;
    }
    var escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp("^" + escaped + "$").test(name);
  }

  function deleteCookie(name) {
    var expired = name + "=; Max-Age=0; path=/";
    document.cookie = expired;
    var labels = window.location.hostname.split(".");
    for (var i = 0; i < labels.length - 1; i++) {
      var domain = labels.slice(i).join(".");
      document.cookie = expired + "; domain=" + domain;
      document.cookie = expired + "; domain=." + domain;
    }
  }

  function deleteCookiesOf(groups) {
    var present = cookieNames();
    config.groups.forEach(function (group) {
      if (groups.indexOf(group.varname) === -1) {
        return;
      }
      group.cookies.forEach(function (pattern) {
        present.forEach(function (name) {
          if (matches(pattern, name)) {
            deleteCookie(name);
          }
        });
      });
    });
  }

  /* --- the banner and the dialog ------------------------------------------------------- */

  function syncDialog(current) {
    if (!dialog) {
      return;
    }
    dialog.querySelectorAll("[data-weticket-consent-group]").forEach(function (input) {
      input.checked = current.accepted.indexOf(input.getAttribute("data-weticket-consent-group")) !== -1;
    });
    var line = dialog.querySelector("[data-weticket-consent-id-line]");
    var id = dialog.querySelector("[data-weticket-consent-id]");
    if (line && id) {
      id.textContent = current.consentId;
      line.hidden = !current.consentId;
    }
  }

  function focusable(container) {
    var selector =
      'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), ' +
      'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
    return Array.prototype.filter.call(container.querySelectorAll(selector), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
  }

  function openDialog(from) {
    if (!dialog) {
      return;
    }
    opener = from || document.activeElement;
    syncDialog(api.state());
    showError(false);
    if (!dialog.open) {
      dialog.showModal();
    }
    var first = dialog.querySelector("[data-weticket-consent-group]") || focusable(dialog)[0];
    if (first) {
      first.focus();
    }
  }

  function closeDialog() {
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  function showBanner(visible) {
    if (banner) {
      banner.hidden = !visible;
    }
  }

  function showError(message) {
    if (!root) {
      return;
    }
    root.querySelectorAll("[data-weticket-consent-error]").forEach(function (target) {
      target.textContent = message ? target.getAttribute("data-message") || "" : "";
    });
  }

  function announce() {
    var status = root && root.querySelector("[data-weticket-consent-status]");
    if (status) {
      status.textContent = status.getAttribute("data-message") || "";
    }
  }

  if (dialog) {
    dialog.addEventListener("close", function () {
      if (opener && typeof opener.focus === "function" && document.contains(opener)) {
        opener.focus();
      }
      opener = null;
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") {
        return;
      }
      var items = focusable(dialog);
      if (!items.length) {
        return;
      }
      var first = items[0];
      var last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        last.focus();
        event.preventDefault();
      } else if (!event.shiftKey && document.activeElement === last) {
        first.focus();
        event.preventDefault();
      }
    });
  }

  /* --- sending a choice ---------------------------------------------------------------- */

  function allGroups() {
    return config.groups.map(function (group) {
      return group.varname;
    });
  }

  function send(accept, decline, method) {
    var headers = { Accept: "application/json" };
    return fetch(config.endpoint, { credentials: "same-origin", headers: headers })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("token " + response.status);
        }
        return response.json();
      })
      .then(function (token) {
        var postHeaders = { Accept: "application/json", "Content-Type": "application/json" };
        postHeaders[config.csrfHeader || "X-CSRFToken"] = token.csrfToken;
        return fetch(config.endpoint, {
          method: "POST",
          credentials: "same-origin",
          headers: postHeaders,
          body: JSON.stringify({ accept: accept, decline: decline, method: method }),
        });
      })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.error || String(response.status));
          }
          return body;
        });
      });
  }

  function choose(accept, decline, method) {
    if (busy || !config.endpoint) {
      return;
    }
    busy = true;
    send(accept, decline, method)
      .then(function () {
        var current = api.state();
        api.applyConsentMode(current);
        deleteCookiesOf(current.declined);
        activate(current.accepted);
        syncDialog(current);
        if (!current.undecided.length) {
          showBanner(false);
        }
        closeDialog();
        announce();
      })
      .catch(function () {
        showError(true);
      })
      .then(function () {
        busy = false;
      });
  }

  function chosenInDialog() {
    var accept = [];
    var decline = [];
    dialog.querySelectorAll("[data-weticket-consent-group]").forEach(function (input) {
      (input.checked ? accept : decline).push(input.getAttribute("data-weticket-consent-group"));
    });
    return { accept: accept, decline: decline };
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest(
      "[data-weticket-consent-action], [data-weticket-consent-open], " +
        "[data-weticket-consent-close], [data-weticket-load-once], [data-weticket-allow]"
    );
    if (!target) {
      return;
    }
    if (target.hasAttribute("data-weticket-consent-open")) {
      event.preventDefault();
      openDialog(target);
    } else if (target.hasAttribute("data-weticket-consent-close")) {
      closeDialog();
    } else if (target.hasAttribute("data-weticket-load-once")) {
      var wrapper = target.closest(".weticket-gated");
      var template = wrapper && wrapper.querySelector("template[data-weticket-consent]");
      if (template) {
        activateTemplate(template);
      }
    } else if (target.hasAttribute("data-weticket-allow")) {
      choose([target.getAttribute("data-weticket-allow")], [], "always_allow");
    } else {
      var action = target.getAttribute("data-weticket-consent-action");
      if (action === "accept_all") {
        choose(allGroups(), [], action);
      } else if (action === "reject_all") {
        choose([], allGroups(), action);
      } else if (action === "custom" && dialog) {
        var chosen = chosenInDialog();
        choose(chosen.accept, chosen.decline, action);
      }
    }
  });

  /* --- on every page --------------------------------------------------------------------- */

  var current = api.state();
  activate(current.accepted);
  syncDialog(current);
  if (config.showBanner && current.undecided.length) {
    showBanner(true);
  }
})();
