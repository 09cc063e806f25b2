// The checkout page: a form marked data-once is sent once; its button is disabled after the
// first press, so a second click does not post again. The page works without this (the
// checkout is the server's idempotency key: a second post answers the same payment).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (!f.hasAttribute || !f.hasAttribute("data-once")) return;
  if (f.getAttribute("data-sent")) { e.preventDefault(); return; }
  f.setAttribute("data-sent", "1");
  var b = f.querySelector("button[type=submit]");
  // Disabled after the submit has begun: a button disabled before would not be sent.
  if (b) setTimeout(function () { b.disabled = true; }, 0);
});
