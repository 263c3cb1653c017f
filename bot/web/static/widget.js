/* Stadsvraag chat widget (the city's knowledge programme; the page that embeds it names the city). Embed on any page with one tag:
 *   <script src="https://ASSISTANT-HOST/static/widget.js" defer></script>
 * Optional config (see docs/channels.md): data-lang, data-title, data-url, data-primary, data-on-primary or
 * data-config='{"lang":"en"}' on that tag, or <script type="application/json" id="stadsvraag-config">{...}</script>.
 * No framework, no innerHTML: everything the assistant says is shown as text. */
(function () {
  "use strict";
  if (document.getElementById("stadsvraag-widget")) { return; }
  var script = document.currentScript || document.querySelector("script[src*='widget.js']");

  var TEXT = {
    nl: { launcher: "Stel je vraag", title: "Stadsvraag", close: "Chat sluiten",
      intro: "Stel je vraag over je buurt of je stad. Begin bijvoorbeeld met ‘hallo’.",
      log: "Gesprek met Stadsvraag", you: "Jij: ", bot: "Stadsvraag: ", label: "Je bericht",
      placeholder: "Typ je bericht", send: "Versturen", typing: "Stadsvraag is aan het typen…",
      options: "Antwoordopties", newTab: " (opent in een nieuw tabblad)", retry: "Nu opnieuw proberen",
      offline: "Geen verbinding met Stadsvraag. We proberen het over {s} seconden opnieuw.",
      noNet: "Je bent offline. Zodra er weer internet is, versturen we je bericht.",
      connecting: "Opnieuw verbinden…", back: "De verbinding is hersteld.",
      expired: "Je gesprek was verlopen. We zijn een nieuw gesprek begonnen.",
      tooLong: "Dit bericht is te lang. Maak het korter en probeer het opnieuw.",
      slowDown: "Je stuurt veel berichten kort na elkaar. Even geduld, ik verstuur je bericht zo.",
      error: "Er ging iets mis. Probeer het opnieuw." },
    en: { launcher: "Ask your question", title: "Stadsvraag", close: "Close chat",
      intro: "Ask your question about your neighbourhood or your city. Start with ‘hello’, for example.",
      log: "Conversation with Stadsvraag", you: "You: ", bot: "Stadsvraag: ", label: "Your message",
      placeholder: "Type your message", send: "Send", typing: "Stadsvraag is typing…",
      options: "Answer options", newTab: " (opens in a new tab)", retry: "Try again now",
      offline: "No connection to Stadsvraag. We will try again in {s} seconds.",
      noNet: "You are offline. We will send your message as soon as you are back online.",
      connecting: "Reconnecting…", back: "The connection is back.",
      expired: "Your conversation had expired. We started a new one.",
      tooLong: "This message is too long. Please shorten it and try again.",
      slowDown: "You are sending many messages in a short time. Please wait a moment; I will send your message shortly.",
      error: "Something went wrong. Please try again." }
  };

  // --- configuration: defaults < JSON element < data-config < data-* attributes --------------------------
  var cfg = {};
  function merge(obj) { if (obj && typeof obj === "object") { Object.keys(obj).forEach(function (k) { cfg[k] = obj[k]; }); } }
  function parse(json) { try { return JSON.parse(json); } catch (e) { warn("config is not valid JSON"); return null; } }
  function warn(msg) { if (window.console) { console.warn("Stadsvraag widget: " + msg); } }
  var cfgEl = document.getElementById("stadsvraag-config");
  if (cfgEl) { merge(parse(cfgEl.textContent)); }
  var data = (script && script.dataset) || {};
  if (data.config) { merge(parse(data.config)); }
  ["lang", "title", "url", "open"].forEach(function (k) { if (data[k]) { cfg[k] = data[k]; } });
  var colors = cfg.colors || {};
  if (data.primary) { colors.primary = data.primary; }
  if (data.onPrimary) { colors.onPrimary = data.onPrimary; }

  var lang = String(cfg.lang || cfg.language || document.documentElement.lang || "nl").slice(0, 2).toLowerCase();
  if (!TEXT[lang]) { lang = "nl"; }
  var t = TEXT[lang];
  var src = script && script.src ? script.src : location.href;
  var base = String(cfg.url || src.replace(/\/static\/widget\.js(\?.*)?$/, "") || location.origin).replace(/\/+$/, "");
  var KEY = "stadsvraag:" + base;

  var store = (function () {
    var mem = {};
    function ss() { try { return window.sessionStorage; } catch (e) { return null; } }
    return {
      get: function (k) { try { var s = ss(); return s ? s.getItem(k) : (mem[k] || null); } catch (e) { return mem[k] || null; } },
      set: function (k, v) { mem[k] = v; try { var s = ss(); if (s) { if (v === null) { s.removeItem(k); } else { s.setItem(k, v); } } } catch (e) { /* memory only */ } }
    };
  })();

  // --- colours: only when text on them keeps a contrast of at least 4.5:1 (WCAG 1.4.3) -------------------
  function luminance(hex) {
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex || "").trim());
    if (!m) { return null; }
    var h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    var c = [0, 2, 4].map(function (i) {
      var v = parseInt(h.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var x = luminance(a), y = luminance(b);
    if (x === null || y === null) { return 0; }
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }

  // --- DOM helpers: text only ---------------------------------------------------------------------------
  function el(tag, cls, text, attrs) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function icon(d) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), p = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    p.setAttribute("d", d);
    svg.appendChild(p);
    return svg;
  }
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
  function richText(parent, text) { // plain text; http(s) URLs become links made with DOM APIs
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var href = m[0].replace(/[.,;:!?)\]]+$/, "");
      var ok = false;
      try { ok = /^https?:$/.test(new URL(href).protocol); } catch (e) { ok = false; }
      if (!ok) { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", "", href, { href: href, target: "_blank", rel: "noopener noreferrer" });
      a.appendChild(el("span", "sv-vh", t.newTab));
      parent.appendChild(a);
      last = m.index + href.length;
      URL_RE.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // --- the widget -----------------------------------------------------------------------------------------
  var host = el("aside", "", "", { id: "stadsvraag-widget", "aria-label": t.title });
  if (contrast(colors.primary, colors.onPrimary || "#ffffff") >= 4.5) {
    host.style.setProperty("--sv-primary", colors.primary);
    host.style.setProperty("--sv-on-primary", colors.onPrimary || "#ffffff");
  } else if (colors.primary) {
    warn("colours ignored: their contrast is below 4.5:1");
  }
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = el("link", "", "", { rel: "stylesheet", href: base + "/static/widget.css" });
  var box = el("div", "sv", "", { lang: lang });
  box.style.display = "none"; // until the stylesheet is there
  function reveal() { box.style.display = ""; if (window.performance && performance.mark) { performance.mark("stadsvraag:ready"); } }
  css.addEventListener("load", reveal);
  css.addEventListener("error", reveal);

  var launcher = el("button", "sv-launcher", "", { type: "button", "aria-expanded": "false", "aria-controls": "sv-panel" });
  launcher.appendChild(icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"));
  launcher.appendChild(el("span", "", t.launcher));

  var panel = el("div", "sv-panel", "", { id: "sv-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "sv-title" });
  panel.hidden = true;
  var head = el("div", "sv-head");
  head.appendChild(el("h2", "sv-title", String(cfg.title || t.title), { id: "sv-title" }));
  var closer = el("button", "sv-close", "", { type: "button", "aria-label": t.close });
  closer.appendChild(icon("M6 6l12 12M18 6L6 18"));
  head.appendChild(closer);
  var scroller = el("div", "sv-log", "", { role: "log", "aria-live": "polite", "aria-label": t.log, tabindex: "0" });
  var log = scroller.appendChild(el("ol", "sv-list"));
  var typing = el("div", "sv-typing");
  typing.hidden = true;
  var dots = typing.appendChild(el("span", "sv-dots", "", { "aria-hidden": "true" }));
  [1, 2, 3].forEach(function () { dots.appendChild(el("i")); });
  typing.appendChild(el("span", "sv-vh", t.typing));
  var status = el("div", "sv-status", "", { role: "status" });
  var form = el("form", "sv-form", "", { novalidate: "" });
  var input = el("input", "", "", { id: "sv-input", type: "text", autocomplete: "off", maxlength: "2000", placeholder: t.placeholder });
  form.appendChild(el("label", "sv-vh", t.label, { "for": "sv-input" }));
  form.appendChild(input);
  form.appendChild(el("button", "sv-send", t.send, { type: "submit" }));
  [head, el("p", "sv-intro", t.intro), scroller, typing, status, form].forEach(function (n) { panel.appendChild(n); });
  box.appendChild(launcher);
  box.appendChild(panel);
  root.appendChild(css);
  root.appendChild(box);

  function focusHere() { // only take focus back when it is in the widget (or nowhere)
    var a = document.activeElement;
    if (!panel.hidden && (!a || a === document.body || a === host || host.contains(a))) { input.focus(); }
  }
  function open(focus) {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    store.set(KEY + ":open", "1");
    scroller.scrollTop = scroller.scrollHeight;
    if (focus) { input.focus(); }
  }
  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    store.set(KEY + ":open", null);
    launcher.focus();
  }
  launcher.addEventListener("click", function () { open(true); });
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); close(); } });

  // --- messages -------------------------------------------------------------------------------------------
  var firstBot = true;
  function add(who, text, buttons) {
    var li = el("li", "sv-msg sv-" + who);
    li.appendChild(el("span", "sv-vh", who === "user" ? t.you : who === "bot" ? t.bot : ""));
    var p = el("p", "sv-text");
    if (who === "bot") { richText(p, text || ""); } else { p.textContent = text || ""; }
    li.appendChild(p);
    if (buttons && buttons.length) {
      var group = el("div", "sv-buttons", "", { role: "group", "aria-label": t.options });
      buttons.forEach(function (b) {
        var btn = el("button", "sv-choice", String(b.title || b.payload || ""), { type: "button" });
        btn.addEventListener("click", function () {
          btn.classList.add("sv-chosen");
          input.focus();
          send(String(b.payload || b.title || ""), btn.textContent);
        });
        group.appendChild(btn);
      });
      li.appendChild(group);
    }
    log.appendChild(li);
    if (who === "bot" && firstBot && window.performance && performance.mark) {
      firstBot = false;
      performance.mark("stadsvraag:first-bot-message");
    }
    return li;
  }
  function retireButtons() { // answers that were offered earlier can no longer be chosen
    Array.prototype.forEach.call(log.querySelectorAll(".sv-choice"), function (b) { b.disabled = true; });
  }
  function say(kind, text, retry) { // connection and error states, in the status region
    status.textContent = "";
    status.className = "sv-status" + (kind ? " sv-" + kind : "");
    if (!text) { return; }
    status.appendChild(el("p", "", text));
    if (retry) {
      var b = el("button", "sv-retry", t.retry, { type: "button" });
      b.addEventListener("click", function () { input.focus(); retryNow(); });
      status.appendChild(b);
    }
  }

  // --- the API --------------------------------------------------------------------------------------------
  var token = store.get(KEY + ":token");
  function call(method, path, body) {
    var headers = { "X-Stadsvraag-Token": token || "" };
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(base + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", cache: "no-store" });
  }
  function ensureToken() {
    if (token) { return Promise.resolve(token); }
    return fetch(base + "/chat/session", { method: "POST", credentials: "omit", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error("session " + r.status); } return r.json(); })
      .then(function (d) { token = d.token; store.set(KEY + ":token", token); return token; });
  }
  function forget() { token = null; store.set(KEY + ":token", null); }

  var queue = [], busy = false, failures = 0, timer = null;
  function send(message, shown) {
    retireButtons();
    add("user", shown);
    scroller.scrollTop = scroller.scrollHeight;
    queue.push({ message: message });
    pump();
  }
  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    typing.hidden = false;
    var item = queue[0];
    ensureToken().then(function () { return call("POST", "/chat/messages", { message: item.message }); })
      .then(function (r) {
        if (r.status === 401 && !item.renewed) { item.renewed = true; forget(); say("notice", t.expired); return; }
        if (r.status === 400 || r.status === 413) { queue.shift(); say("error", r.status === 413 ? t.tooLong : t.error); return; }
        if (r.status === 429) { // too many messages: wait as asked, then send the same message
          var after = Math.min(60, Math.max(1, parseInt(r.headers.get("Retry-After") || "5", 10)));
          say("notice", t.slowDown);
          clearTimeout(timer);
          timer = setTimeout(retryNow, after * 1000);
          return "wait";
        }
        if (!r.ok) { throw new Error("messages " + r.status); }
        return r.json().then(function (answers) {
          queue.shift();
          if (failures) { say("ok", t.back); setTimeout(function () { if (!failures) { say("", ""); } }, 5000); }
          failures = 0;
          var first = null;
          (Array.isArray(answers) ? answers : []).forEach(function (a) {
            if (!a || (!a.text && !(a.buttons && a.buttons.length))) { return; }
            var li = add("bot", a.text, a.buttons);
            first = first || li;
          });
          if (first) { scroller.scrollTop = Math.min(first.offsetTop - 8, scroller.scrollHeight); }
        });
      })
      .then(function (state) { busy = false; typing.hidden = true; if (state === "wait") { return; } if (!queue.length) { focusHere(); } pump(); },
        function () {
          busy = false;
          typing.hidden = true;
          failures += 1;
          if (navigator.onLine === false) { say("error", t.noNet, true); return; }
          var wait = Math.min(30, Math.pow(2, failures));
          say("error", t.offline.replace("{s}", wait), true);
          clearTimeout(timer);
          timer = setTimeout(retryNow, wait * 1000);
        });
  }
  function retryNow() {
    clearTimeout(timer);
    if (!busy && queue.length) { say("notice", t.connecting); pump(); }
  }
  window.addEventListener("online", retryNow);

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    send(text, text);
  });

  // --- resume after a reload: the earlier messages come from the server -----------------------------------
  function restore(turns) {
    var lastUser = -1;
    turns.forEach(function (turn, i) { if (turn.who === "user") { lastUser = i; } });
    turns.forEach(function (turn, i) {
      var buttons = i > lastUser ? turn.buttons : null;
      if (turn.text || (buttons && buttons.length)) { add(turn.who === "user" ? "user" : "bot", turn.text, buttons); }
    });
  }
  function mount() {
    document.body.appendChild(host);
    var wasOpen = store.get(KEY + ":open") === "1" || cfg.open === true || cfg.open === "true";
    (token ? call("GET", "/chat/history").then(function (r) {
      if (r.status === 401) { forget(); return []; }
      return r.ok ? r.json() : [];
    }).then(function (turns) { if (Array.isArray(turns)) { restore(turns); } }, function () { /* shown when sending */ })
      : Promise.resolve()).then(function () { if (wasOpen) { open(false); } });
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
