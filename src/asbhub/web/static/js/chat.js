// Live chat, both sides: the log's data-ws names the socket and data-me says whose page it is.
// Without JavaScript (or WebSocket) the forms post each line and the page reloads instead.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log || !window.WebSocket) return;
  var me = log.dataset.me;
  var form = document.getElementById("chat-form");
  var endForm = document.getElementById("chat-end");
  var input = document.getElementById("body");
  var statusEl = document.getElementById("chat-status");
  var errorEl = document.getElementById("chat-error");
  var seen = {};
  var ended = false;
  var socket = null;
  var retries = 0;

  Array.prototype.forEach.call(log.querySelectorAll("[data-id]"), function (el) {
    seen[el.dataset.id] = true;
  });

  function add(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var p = document.createElement("p");
    p.className = "essex-chat__msg essex-chat__msg--" + m.sender;
    p.dataset.id = m.id;
    var who = document.createElement("span");
    who.className = "essex-chat__who";
    who.textContent = m.sender === me ? "You" : m.name;
    p.appendChild(who);
    p.appendChild(document.createTextNode(m.body));
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }

  function showStatus(ev) {
    if (!statusEl) return;
    if (me === "public") {
      if (ev.status === "waiting") statusEl.textContent = "Waiting for a call handler to join. You can start typing now.";
      else if (ev.status === "active") statusEl.textContent = "You are chatting with " + ev.handler_name + ".";
      else statusEl.textContent = "This chat has ended.";
    } else {
      statusEl.textContent = ev.status + (ev.handler_name ? " – " + ev.handler_name : "");
    }
    if (ev.status === "closed") {
      ended = true;
      if (form) form.hidden = true;
      if (endForm) endForm.hidden = true;
    }
  }

  function showError(text) {
    if (errorEl) errorEl.textContent = text;
    else if (statusEl) statusEl.textContent = text;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + window.location.host + log.dataset.ws);
    socket.addEventListener("open", function () { retries = 0; log.dataset.connected = "1"; });
    socket.addEventListener("message", function (e) {
      var ev = JSON.parse(e.data);
      if (ev.type === "history") ev.messages.forEach(add);
      else if (ev.type === "message") add(ev);
      else if (ev.type === "status") showStatus(ev);
      else if (ev.type === "error") showError(ev.message);
    });
    socket.addEventListener("close", function () {
      log.dataset.connected = "";
      if (ended) return;
      retries += 1;
      window.setTimeout(connect, Math.min(10000, 500 * retries));
    });
  }

  if (form && input) {
    form.addEventListener("submit", function (e) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return; // fall back to the form post
      e.preventDefault();
      var text = input.value.trim();
      if (!text) { showError("Enter a message"); return; }
      showError("");
      socket.send(JSON.stringify({ type: "message", body: text }));
      input.value = "";
      input.focus();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
  }
  connect();
})();
