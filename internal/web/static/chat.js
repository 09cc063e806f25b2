// The live chat page (/chat/{id}): follows the conversation's WebSocket (the page's session
// cookie authenticates it; the server accepts it from this site's pages only), shows replies,
// typing, queue place and the agent as they come, and sends text messages over it with a
// client_id, so that a resend after a reconnect is stored once. Without this script, or with
// a file attached, the form posts as usual.
(function () {
  "use strict";
  var form = document.getElementById("chat-send");
  var log = document.getElementById("chat-log");
  if (!form || !log || !window.WebSocket) { return; }
  var d = form.dataset;
  var after = d.after || "";
  var seen = d.seen || "";
  var ws = null, open = false, retry = 0, typingTimer = null, lastTyping = 0;
  var pending = {}; // client_id -> body, until acknowledged
  var body = document.getElementById("body"), file = document.getElementById("file");
  var el = function (id) { return document.getElementById(id); };

  function fmtTime(iso) {
    var t = new Date(iso);
    if (isNaN(t)) { return ""; }
    try { // Dompet's zone, as the server writes the earlier messages' times
      return t.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Jakarta" });
    } catch (x) {
      return t.toLocaleTimeString();
    }
  }

  // add shows a message once (by id), as text: never as markup.
  function add(m) {
    if (!m || m.internal || el("m-" + m.id)) { return; }
    var li = document.createElement("li");
    li.id = "m-" + m.id;
    li.className = "msg msg-" + m.author.type;
    li.dataset.id = m.id;
    var who = document.createElement("p");
    who.className = "who";
    who.textContent = (m.author.type === "customer" ? d.you : m.author.name) + " ";
    var time = document.createElement("time");
    time.dateTime = m.created_at;
    time.textContent = fmtTime(m.created_at);
    who.appendChild(time);
    var p = document.createElement("p");
    p.className = "body";
    p.textContent = m.body;
    li.appendChild(who);
    li.appendChild(p);
    if (m.attachments && m.attachments.length) {
      var ul = document.createElement("ul");
      ul.className = "files";
      m.attachments.forEach(function (a) {
        var fl = document.createElement("li"), link = document.createElement("a");
        link.href = d.files + encodeURIComponent(a.id);
        link.setAttribute("download", "");
        link.textContent = a.filename;
        fl.appendChild(link);
        ul.appendChild(fl);
      });
      li.appendChild(ul);
    }
    if (m.client_id) {
      var mine = el("p-" + m.client_id);
      if (mine) { mine.remove(); }
    }
    log.appendChild(li);
    if (m.id > after) { after = m.id; }
    if (m.author.type !== "customer") {
      el("chat-typing").hidden = true;
      markRead(m.id);
    } else {
      el("chat-seen").hidden = true;
    }
    li.scrollIntoView({ block: "nearest" });
  }

  function markRead(id) {
    if (open) { ws.send(JSON.stringify({ type: "read", message_id: id })); }
  }

  function on(ev) {
    var e;
    try { e = JSON.parse(ev.data); } catch (x) { return; }
    switch (e.type) {
      case "message": add(e.message); break;
      case "ack": delete pending[e.client_id]; add(e.message); break;
      case "typing":
        el("chat-typing").hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { el("chat-typing").hidden = true; }, 4000);
        break;
      case "assigned":
        if (e.agent) {
          el("chat-agent-name").textContent = e.agent.name;
          el("chat-agent").hidden = false;
          if (el("chat-queue")) { el("chat-queue").hidden = true; }
        }
        break;
      case "queue":
        var q = el("chat-queue");
        if (q) {
          q.textContent = d.queue.replace("{position}", e.position).replace("{minutes}", Math.ceil((e.estimated_wait_seconds || 0) / 60));
          q.hidden = false;
        }
        break;
      case "status":
        var shown = el("chat-status");
        if (shown && shown.dataset.status !== e.status && (e.status === "resolved" || e.status === "closed")) {
          location.reload(); // the rating form
        }
        break;
      case "read":
        if (e.author && e.author.type === "agent") { seen = e.message_id; el("chat-seen").hidden = false; }
        break;
      case "error":
        if (e.client_id && pending[e.client_id] !== undefined) {
          body.value = pending[e.client_id];
          delete pending[e.client_id];
          var mine = el("p-" + e.client_id);
          if (mine) { mine.remove(); }
        }
        var shownErr = el("chat-error") || document.createElement("p");
        shownErr.id = "chat-error";
        shownErr.className = "field-error";
        shownErr.setAttribute("role", "alert");
        shownErr.textContent = (e.error && (e.error.detail || e.error.title)) || "";
        form.insertBefore(shownErr, form.firstChild);
        break;
    }
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + d.stream + (after ? "?after=" + encodeURIComponent(after) : "");
    ws = new WebSocket(url);
    ws.onopen = function () {
      open = true;
      retry = 0;
      form.dataset.live = "1"; // connected (tests wait for it)
      el("chat-live").hidden = true;
      Object.keys(pending).forEach(function (id) { send(id, pending[id]); }); // stored once by client_id
      var last = log.lastElementChild;
      if (last && !last.classList.contains("msg-customer")) { markRead(last.dataset.id); }
    };
    ws.onmessage = on;
    ws.onclose = function () {
      open = false;
      delete form.dataset.live;
      el("chat-live").hidden = false;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry - 1)); // back off: 0.5 s to 16 s
    };
  }

  function send(id, text) {
    ws.send(JSON.stringify({ type: "message", body: text, client_id: id }));
  }

  form.addEventListener("submit", function (ev) {
    if (!open || (file && file.files.length) || !body.value.trim()) { return; } // the form posts
    ev.preventDefault();
    var id = form.elements.client_id.value;
    form.elements.client_id.value = id + "-" + Date.now().toString(36); // the next message's
    pending[id] = body.value;
    var li = document.createElement("li");
    li.id = "p-" + id;
    li.className = "msg msg-customer msg-pending";
    var p = document.createElement("p");
    p.className = "body";
    p.textContent = body.value;
    var s = document.createElement("p");
    s.className = "who";
    s.textContent = d.sending;
    li.appendChild(s);
    li.appendChild(p);
    log.appendChild(li);
    send(id, body.value);
    body.value = "";
    var err = el("chat-error");
    if (err) { err.remove(); }
  });

  body.addEventListener("input", function () {
    var now = Date.now();
    if (open && now - lastTyping > 1500) {
      lastTyping = now;
      ws.send(JSON.stringify({ type: "typing" }));
    }
  });

  connect();
})();
