// The agent console's live updates: one WebSocket to the desk stream (/api/v1/agent/stream),
// authenticated by the console's HttpOnly cookie, which this script never sees. New
// messages, typing, assignments and status changes appear without a reload; the socket
// reconnects with a growing delay, and on reconnect the conversation page reads the messages
// it missed from the page itself (the server renders them), so none is lost or shown twice.
// Calls: a "call" event pops the caller up (see callPop), on every console page: the script is
// loaded by the console's header, and on a page with neither inbox nor conversation it only
// keeps the stream for the pops (and the live status).
// The canned-reply picker: choosing a reply puts its text (filled for this conversation by
// the server) into the reply box at once; without JS its "Put into the reply" button loads
// the page with ?canned=<id>, which the server prefills.
(function () {
  "use strict";
  var pick = document.getElementById("canned");
  var body = document.getElementById("body");
  if (!pick || !body) return;
  pick.addEventListener("change", function () {
    var o = pick.options[pick.selectedIndex];
    if (!o || !o.value) return;
    body.value = o.getAttribute("data-body") || "";
    body.focus();
  });
})();

(function () {
  "use strict";
  var thread = document.getElementById("thread");
  var inbox = document.getElementById("inbox");
  var root = thread || inbox || document.getElementById("call-pops");
  if (!root || !root.getAttribute("data-stream") || !window.WebSocket) return;
  var live = document.getElementById("live");
  var typingEl = document.getElementById("typing");
  var convID = thread ? thread.getAttribute("data-conversation") : "";
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.getAttribute("data-stream");
  var socket = null, delay = 1000, connectedOnce = false, typingTimer = null;

  function status(on) {
    if (!live) return;
    live.textContent = live.getAttribute(on ? "data-live-on" : "data-live-off");
    live.className = on ? "live on" : "live off";
  }

  function news() {
    var n = document.getElementById("inbox-news");
    if (n) n.hidden = false;
  }

  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    // As the server writes times: Dompet's zone (WIB), the page's language.
    try {
      return d.toLocaleString(document.documentElement.lang || undefined, { timeZone: "Asia/Jakarta",
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
    } catch (err) { return d.toLocaleString(); }
  }

  // addMessage appends a message of this conversation unless it is there already.
  function addMessage(m) {
    if (!thread || !m || document.getElementById(m.id)) return;
    var empty = thread.querySelector(".empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.id = m.id;
    li.className = "msg msg-" + m.author.type + (m.internal ? " internal" : "") + " fresh";
    var who = document.createElement("p");
    who.className = "who";
    if (m.internal) {
      var label = document.createElement("strong");
      label.className = "note-label";
      label.textContent = thread.getAttribute("data-note");
      who.appendChild(label);
      who.appendChild(document.createTextNode(" · "));
    }
    who.appendChild(document.createTextNode(m.author.name + " · "));
    var t = document.createElement("time");
    t.setAttribute("datetime", m.created_at);
    t.textContent = fmtTime(m.created_at);
    who.appendChild(t);
    var body = document.createElement("p");
    body.className = "body";
    body.textContent = m.body;
    li.appendChild(who);
    li.appendChild(body);
    thread.appendChild(li);
    thread.setAttribute("data-after", m.id);
    if (typingEl) typingEl.textContent = "";
  }

  // catchUp reads this page again and adds the messages the socket missed while it was away;
  // the conversation's disposition is taken from there too. m, if given, is the message that
  // asked for the read: should the page not hold it (or not be read), it is shown as sent.
  function catchUp(m) {
    if (!thread) { news(); return; }
    fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        var doc = html ? new DOMParser().parseFromString(html, "text/html") : null;
        var fresh = doc && doc.getElementById("thread");
        if (fresh) {
          Array.prototype.forEach.call(fresh.querySelectorAll("li.msg"), function (li) {
            if (!document.getElementById(li.id)) thread.appendChild(document.importNode(li, true));
          });
          var disp = doc.getElementById("conv-disposition"), here = document.getElementById("conv-disposition");
          if (disp && here) here.textContent = disp.textContent;
        }
        addMessage(m);
      })
      .catch(function () { addMessage(m); });
  }

  // rendered reports whether the server may write message m otherwise than it was stored: a
  // system message (the phone's "call ended", …) and an internal note (a call's disposition,
  // written by any agent) are stored in English and shown in the console's language
  // (agent_systext.go), so the page reads those from the server rather than showing m.body.
  function rendered(m) {
    return !!m && !!m.author && (m.author.type === "system" || m.internal === true);
  }

  // row is the inbox's row of a conversation, if the list shows it.
  function row(id) {
    return inbox && id ? document.getElementById("conv-" + id) : null;
  }

  function onEvent(e) {
    var r = row(e.conversation_id), cell;
    switch (e.type) {
      case "message":
        if (thread && e.conversation_id === convID && rendered(e.message)) catchUp(e.message);
        else if (thread && e.conversation_id === convID) addMessage(e.message);
        else if (r) r.classList.add("unread");
        else news();
        break;
      case "typing":
        if (thread && e.conversation_id === convID && typingEl && e.author) {
          typingEl.textContent = thread.getAttribute("data-typing").replace("%s", e.author.name);
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 4000);
        }
        break;
      case "assigned":
        if (thread && e.conversation_id === convID && e.agent) {
          var a = document.getElementById("conv-assignee");
          if (a) a.textContent = e.agent.name;
        } else if (r && e.agent && (cell = r.querySelector(".assignee .val"))) {
          cell.textContent = e.agent.name;
          r.classList.add("unread");
        } else news();
        break;
      case "status":
        if (thread && e.conversation_id === convID) {
          var sel = document.getElementById("status"), dd = document.getElementById("conv-status");
          var opt = sel && sel.querySelector('option[value="' + e.status + '"]');
          if (dd) dd.textContent = opt ? opt.textContent : e.status;
          if (opt) sel.value = e.status;
        } else if (r && (cell = r.querySelector(".status .val"))) {
          cell.textContent = inbox.getAttribute("data-status-" + e.status) || e.status;
        } else news();
        break;
      case "queue":
        if (inbox) news();
        break;
      case "call":
        callPop(e);
        break;
    }
  }

  // callPop shows, updates or removes the screen pop of a call: an alert panel with the
  // caller (their name, else the masked number), their account's lock and two-factor state
  // and a link to the conversation. It stays until dismissed or the call is answered: then it
  // goes, but for the agent who answered, whose pop says so; it goes when the call ends.
  var pops = document.getElementById("call-pops");
  function callPop(e) {
    if (!pops || !e.call) return;
    var id = "pop-" + e.conversation_id;
    var old = document.getElementById(id);
    var mine = e.agent && e.agent.id === pops.getAttribute("data-me");
    if (e.call.event === "call.ended" || (e.call.event === "call.answered" && !mine)) {
      if (old) old.remove();
      return;
    }
    var box = document.createElement("div");
    box.id = id;
    box.className = "call-pop";
    box.setAttribute("role", "alert");
    var h = document.createElement("h2");
    h.textContent = pops.getAttribute(e.call.event === "call.answered" ? "data-answered" : "data-incoming");
    box.appendChild(h);
    var who = document.createElement("p");
    who.className = "caller";
    var c = e.call.customer;
    who.textContent = c ? c.display_name : pops.getAttribute("data-unknown") + (e.call.from_masked ? " · " + e.call.from_masked : "");
    box.appendChild(who);
    if (c) {
      var st = document.createElement("p");
      var lock = document.createElement("span");
      lock.className = c.locked ? "locked" : "ok";
      lock.textContent = pops.getAttribute(c.locked ? "data-locked" : "data-not-locked");
      st.appendChild(lock);
      st.appendChild(document.createTextNode(" · " + pops.getAttribute(c.two_factor ? "data-2fa-on" : "data-2fa-off")));
      box.appendChild(st);
    }
    var actions = document.createElement("p");
    actions.className = "actions";
    var open = document.createElement("a");
    open.href = "/agent/conversations/" + encodeURIComponent(e.conversation_id);
    open.textContent = pops.getAttribute("data-open");
    actions.appendChild(open);
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "small";
    dismiss.textContent = pops.getAttribute("data-dismiss");
    dismiss.addEventListener("click", function () { box.remove(); });
    actions.appendChild(dismiss);
    box.appendChild(actions);
    if (old) old.replaceWith(box);
    else pops.appendChild(box);
  }

  function connect() {
    socket = new WebSocket(url);
    socket.onopen = function () {
      delay = 1000;
      status(true);
      if (connectedOnce) catchUp();
      connectedOnce = true;
    };
    socket.onmessage = function (ev) {
      try { onEvent(JSON.parse(ev.data)); } catch (err) { /* a frame that is not JSON: ignored */ }
    };
    socket.onclose = function (ev) {
      status(false);
      socket = null;
      if (ev.code === 1008) { location.href = "/agent/login"; return; } // the session ended
      var wait = delay + Math.floor(Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
      setTimeout(connect, wait);
    };
  }

  // Typing: the customer sees it only for a reply, never while a note is being written.
  var body = document.getElementById("body");
  var lastTyping = 0;
  if (body && thread) {
    body.addEventListener("input", function () {
      var note = document.getElementById("kind-note");
      if ((note && note.checked) || !socket || socket.readyState !== 1) return;
      var now = Date.now();
      if (now - lastTyping < 1500) return;
      lastTyping = now;
      socket.send(JSON.stringify({ type: "typing", conversation_id: convID }));
    });
  }
  connect();
})();
