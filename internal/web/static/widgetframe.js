// The widget's frame on a merchant's site, anonymous: "Sign in to chat" opens Dompet's own
// /widget/connect in a popup (a top-level page, where the normal session cookie works). Once
// the user allows it, that page posts a one-time code to this frame, addressed to Dompet's
// origin; the frame takes it only from that origin and from the popup it opened, and trades
// it (same-origin POST) for the widget's chat-only session cookie, which no script can read.
// Without this script the link opens the login in a new tab, as before.
(function () {
  "use strict";
  var link = document.getElementById("widget-signin");
  if (!link || !window.fetch || !window.URLSearchParams) { return; }
  var popup = null;
  var failed = document.getElementById("widget-error");

  link.addEventListener("click", function (ev) {
    // No window name: another page could reach a named window by its name.
    var w = window.open(link.dataset.connect, "_blank", "popup,width=520,height=680");
    if (!w) { return; } // blocked: the link opens the login in a new tab
    ev.preventDefault();
    popup = w;
    if (failed) { failed.hidden = true; }
  });

  window.addEventListener("message", function (ev) {
    if (ev.origin !== location.origin || !popup || ev.source !== popup) { return; }
    var d = ev.data;
    if (!d || d.type !== "dompet-widget-grant" || typeof d.code !== "string") { return; }
    popup = null; // one code per popup
    var body = new URLSearchParams();
    body.set("code", d.code);
    fetch("/widget/session", { method: "POST", body: body, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("widget session: HTTP " + r.status); }
      // The frame keeps no lang cookie on another site: the language goes along.
      location.replace("/chat?embed=1&lang=" + encodeURIComponent(document.documentElement.lang || "en"));
    }).catch(function () {
      if (failed) { failed.hidden = false; }
    });
  });
})();
