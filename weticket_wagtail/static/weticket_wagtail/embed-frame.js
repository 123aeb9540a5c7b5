/* Inside the weticket iframe: tell the embedding page our height; hand payment to the top window. */
(function () {
  "use strict";
  var parentOrigin = document.body && document.body.getAttribute("data-weticket-parent");
  if (!parentOrigin || window.parent === window) { return; }
  function send(message) { window.parent.postMessage(message, parentOrigin); }
  var last = 0;
  function reportHeight() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== last) { last = height; send({ type: "weticket:resize", height: height }); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    reportHeight();
    if (window.ResizeObserver) { new ResizeObserver(reportHeight).observe(document.body); }
    window.addEventListener("load", reportHeight);
    var pay = document.querySelector("[data-weticket-navigate]");
    if (pay) { send({ type: "weticket:navigate", url: pay.href }); }
  });
  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin) { return; }  // only the page that embeds us may ask
    if (event.data && event.data.type === "weticket:ping") { last = 0; reportHeight(); }
  });
})();
