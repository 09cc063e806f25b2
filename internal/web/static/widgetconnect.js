// /widget/connect in the popup the widget's frame opened, once the user allowed the chat:
// hands the one-time code to the opener, addressed to Dompet's own origin only (the opener is
// the frame, of this origin; a merchant's page that opened this page itself gets nothing),
// then closes.
(function () {
  "use strict";
  var el = document.getElementById("widget-grant");
  if (!el || !el.dataset.code || !window.opener) { return; }
  window.opener.postMessage({ type: "dompet-widget-grant", code: el.dataset.code }, location.origin);
  window.close();
})();
