// Dompet's chat widget for merchants' sites: one tag,
//   <script src="https://dompet.example/widget.js" defer></script>
// adds a chat button that opens Dompet's chat (/chat?embed=1, from the site the script came
// from) in a frame. The frame is allowed only on the origins of DOMPET_FRAME_ANCESTORS.
// Browsers do not send Dompet's session cookie (SameSite=Lax) to a frame on another site, so
// there the frame signs in by itself, through a popup of Dompet's own site, into a chat-only
// session (static/widgetframe.js). This script, which runs in the merchant's page, is never
// part of that: it only adds the button and the frame.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.src || document.getElementById("dompet-chat-button")) { return; }
  var origin = new URL(me.src).origin;
  var lang = me.getAttribute("data-lang") || document.documentElement.lang || "en";
  var zh = /^zh/i.test(lang);
  var label = zh ? "联系客服" : "Chat with Dompet";
  var close = zh ? "关闭" : "Close";

  var button = document.createElement("button");
  button.id = "dompet-chat-button";
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  var bs = button.style;
  bs.position = "fixed"; bs.right = "16px"; bs.bottom = "16px"; bs.zIndex = "2147483000";
  bs.background = "#0b5cad"; bs.color = "#fff"; bs.border = "0"; bs.borderRadius = "24px";
  bs.padding = "12px 18px"; bs.font = "600 16px system-ui, sans-serif"; bs.cursor = "pointer";

  var panel = null;
  function toggle() {
    if (panel) {
      panel.remove();
      panel = null;
      button.textContent = label;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    panel = document.createElement("iframe");
    panel.id = "dompet-chat-frame";
    panel.title = label;
    panel.src = origin + "/chat?embed=1&lang=" + encodeURIComponent(zh ? "zh-CN" : "en");
    var ps = panel.style;
    ps.position = "fixed"; ps.right = "16px"; ps.bottom = "72px"; ps.zIndex = "2147483000";
    ps.width = "min(380px, calc(100vw - 32px))"; ps.height = "min(560px, calc(100vh - 96px))";
    ps.border = "1px solid #ccc"; ps.borderRadius = "8px"; ps.background = "#fff";
    document.body.appendChild(panel);
    button.textContent = close;
    button.setAttribute("aria-expanded", "true");
  }
  button.addEventListener("click", toggle);
  function mount() { document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
