// Wallet pages: small helpers; every form works without them.
// - A form with data-once disables its button once sent, so a second click does not post again
//   (the server's idempotency key makes a second post harmless anyway).
// - A file input with data-max-bytes refuses a file over the limit before anything is sent,
//   saying so in the element named by data-error (its text comes from the page, translated).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (!f.hasAttribute("data-once")) return;
  if (f.getAttribute("data-sent")) { e.preventDefault(); return; }
  f.setAttribute("data-sent", "1");
  var b = f.querySelector("button[type=submit]");
  if (b) setTimeout(function () { b.disabled = true; }, 0);
});
document.addEventListener("change", function (e) {
  var i = e.target;
  if (!i.matches || !i.matches("input[type=file][data-max-bytes]")) return;
  var max = parseInt(i.getAttribute("data-max-bytes"), 10), msg = document.getElementById(i.getAttribute("data-error"));
  var big = Array.prototype.some.call(i.files || [], function (f) { return f.size > max; });
  if (msg) msg.hidden = !big;
  if (big) i.value = "";
});
