// Chat page: sends messages to /chat/messages and shows answers as plain text.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");

  function add(kind, text) {
    var li = document.createElement("li");
    li.className = kind;
    li.textContent = text; // never innerHTML: messages are shown as text
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function addButtons(li, buttons) {
    var box = document.createElement("div");
    box.className = "buttons";
    buttons.forEach(function (b) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", function () {
        box.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        send(b.payload, b.title);
      });
      box.appendChild(btn);
    });
    li.appendChild(box);
  }

  function send(message, shown) {
    add("user", shown);
    fetch("/chat/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ message: message })
    }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json();
    }).then(function (answers) {
      answers.forEach(function (a) {
        var li = add("bot", a.text || "");
        if (a.buttons && a.buttons.length) { addButtons(li, a.buttons); }
      });
      input.focus();
    }).catch(function () {
      add("error", log.dataset.error);
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text, text);
  });
})();
