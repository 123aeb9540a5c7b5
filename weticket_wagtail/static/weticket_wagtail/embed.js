/*
 * weticket-wagtail embed: put the ticket shop of an event on any website.
 *
 *   <script src="https://tickets.example.org/static/weticket_wagtail/embed.js"
 *           data-weticket-event="organisation-slug/event-slug" async></script>
 *
 * Inserts an iframe after the script tag that grows with its content. Messages are only
 * accepted from the ticket site's own origin (where this script came from), and only sent to it.
 *
 * The shop may ask this page to open a URL in the top window (payment pages refuse to run in
 * iframes). Only these origins are opened: the ticket site's own, Mollie's checkout
 * (https://www.mollie.com), and the one named by data-weticket-payment-origin on the script
 * tag (the admin's embed snippet adds it when payments go to another checkout, such as the
 * Mollie test double). The frame cannot add to that list.
 */
(function () {
  "use strict";
  var MOLLIE_CHECKOUT = "https://www.mollie.com";
  function originOf(value) {
    try {
      var url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") ? url.origin : "";
    } catch (e) { return ""; }
  }
  var scripts = document.querySelectorAll("script[data-weticket-event]:not([data-weticket-ready])");
  Array.prototype.forEach.call(scripts, function (script) {
    script.setAttribute("data-weticket-ready", "1");
    var origin = new URL(script.src, window.location.href).origin;
    var url = script.getAttribute("data-weticket-url") ||
      origin + "/tickets/embed/" + script.getAttribute("data-weticket-event").replace(/^\/+|\/+$/g, "") + "/";
    var frameUrl = new URL(url, origin);
    if (frameUrl.origin !== origin) { return; }
    frameUrl.searchParams.set("parent", window.location.origin);
    // A ?voucher=CODE link to the embedding page reaches the shop in the frame; so does a
    // code the site owner put on the script tag (data-weticket-voucher).
    var voucher = new URLSearchParams(window.location.search).get("voucher") ||
      script.getAttribute("data-weticket-voucher") || "";
    if (voucher) { frameUrl.searchParams.set("voucher", voucher.slice(0, 64)); }
    var navigable = [origin, MOLLIE_CHECKOUT];
    var paymentOrigin = originOf(script.getAttribute("data-weticket-payment-origin") || "");
    if (paymentOrigin) { navigable.push(paymentOrigin); }
    var iframe = document.createElement("iframe");
    iframe.src = frameUrl.toString();
    iframe.title = script.getAttribute("data-weticket-title") || "Tickets";
    iframe.className = "weticket-embed-frame";
    iframe.setAttribute("allow", "payment");
    iframe.style.width = "100%";
    iframe.style.border = "0";
    iframe.style.minHeight = "200px";
    iframe.style.height = "480px";
    script.parentNode.insertBefore(iframe, script.nextSibling);

    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== iframe.contentWindow) { return; }
      var data = event.data || {};
      if (data.type === "weticket:resize" && typeof data.height === "number") {
        iframe.style.height = Math.max(200, Math.min(20000, Math.ceil(data.height))) + "px";
        iframe.setAttribute("data-weticket-height", String(Math.ceil(data.height)));
      } else if (data.type === "weticket:navigate" && typeof data.url === "string") {
        var target = originOf(data.url);
        if (target && navigable.indexOf(target) !== -1) {
          window.location.assign(new URL(data.url).toString());
        } else {
          iframe.setAttribute("data-weticket-refused", data.url.slice(0, 200));
        }
      }
    });
  });
})();
