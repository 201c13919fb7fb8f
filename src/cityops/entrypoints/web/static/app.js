// cityops console: htmx settings, live countdowns, the overdue alarm, keyboard shortcuts.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // Show the server's readable message (4xx) in the form's message box; keep what was typed.
      htmx.config.responseHandling = [
        { code: "204", swap: false },
        { code: "[23]..", swap: true },
        { code: "4..", swap: true, error: false },
        { code: "5..", swap: true, error: true },
      ];
    }
    tick();
    setInterval(tick, 1000);
  });

  document.addEventListener("htmx:responseError", function (ev) {
    var box = ev.detail.elt.querySelector(".form-msg") || document.querySelector(".form-msg");
    if (box) box.innerHTML = '<div class="flash error" role="alert">' + (ev.detail.xhr.status || "") + " " +
      (document.documentElement.lang === "en" ? "Server error: what you typed is kept; try again." : "服务器出错：已填写的内容保留，请重试。") + "</div>";
  });
  document.addEventListener("htmx:sendError", function (ev) {
    var box = ev.detail.elt.querySelector(".form-msg") || document.querySelector(".form-msg");
    if (box) box.innerHTML = '<div class="flash error" role="alert">' +
      (document.documentElement.lang === "en" ? "No connection to the server: what you typed is kept; try again." : "无法连接服务器：已填写的内容保留，请重试。") + "</div>";
  });

  function fmt(s) {
    var sign = s < 0 ? "-" : "", a = Math.abs(s);
    var d = Math.floor(a / 86400), h = Math.floor((a % 86400) / 3600), m = Math.floor((a % 3600) / 60), sec = a % 60;
    if (d) return sign + d + "d" + String(h).padStart(2, "0") + "h";
    if (h) return sign + h + "h" + String(m).padStart(2, "0") + "m";
    return sign + m + "m" + String(sec).padStart(2, "0") + "s";
  }

  // Every [data-due] element counts down to its deadline (epoch seconds). The alarm rings for an
  // order that goes overdue while the page is open: a countdown crossing zero, or a refresh of the
  // list bringing an overdue order that was not overdue before.
  var known = null, rang = {};
  function tick() {
    var now = Date.now() / 1000, overdue = [];
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Math.round(parseFloat(el.dataset.due) - now);
      el.textContent = fmt(left);
      var row = el.closest("tr,li,.card");
      if (left < 0) {
        overdue.push(el.dataset.number);
        if (row) { row.classList.remove("risk-ok", "risk-medium", "risk-high"); row.classList.add("risk-overdue"); }
      } else if (left < 1800 && row && !row.classList.contains("risk-overdue")) {
        row.classList.remove("risk-ok", "risk-medium"); row.classList.add("risk-high");
      }
    });
    document.querySelectorAll("tr.risk-overdue[data-number]").forEach(function (row) { overdue.push(row.dataset.number); });
    if (known === null) { known = {}; overdue.forEach(function (n) { known[n] = true; }); return; }
    var fresh = overdue.filter(function (n) { return n && !known[n]; });
    fresh.forEach(function (n) { known[n] = true; });
    if (fresh.length) alarm(fresh);
  }

  function muted() { return localStorage.getItem("cityops-alarm-muted") === "1"; }
  function alarm(numbers) {
    numbers.forEach(function (n) { rang[n] = true; });
    var bar = document.getElementById("alarm");
    if (!bar) return;
    bar.classList.add("on");
    bar.querySelector(".numbers").textContent = Object.keys(rang).join(", ");
    if (!muted()) beep();
  }
  window.cityopsAlarm = alarm;
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35, 0.7].forEach(function (t) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = 880; o.connect(g); g.connect(ctx.destination);
        g.gain.setValueAtTime(0.25, ctx.currentTime + t); g.gain.setValueAtTime(0, ctx.currentTime + t + 0.2);
        o.start(ctx.currentTime + t); o.stop(ctx.currentTime + t + 0.25);
      });
    } catch (e) { /* no audio device: the red bar is the alarm */ }
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-alarm]");
    if (!t) return;
    if (t.dataset.alarm === "mute") {
      localStorage.setItem("cityops-alarm-muted", muted() ? "0" : "1");
      t.setAttribute("aria-pressed", muted() ? "true" : "false");
      t.textContent = muted() ? t.dataset.labelUnmute : t.dataset.labelMute;
    } else if (t.dataset.alarm === "ack") {
      document.getElementById("alarm").classList.remove("on");
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var m = document.querySelector('[data-alarm="mute"]');
    if (m) m.textContent = muted() ? m.dataset.labelUnmute : m.dataset.labelMute;
  });

  // Alt+N: new call (intake); Alt+Q: queue; "/" focuses the search box.
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey && (ev.key === "n" || ev.key === "N")) { location.href = "/intake"; ev.preventDefault(); }
    if (ev.altKey && (ev.key === "q" || ev.key === "Q")) { location.href = "/queue"; ev.preventDefault(); }
    if (ev.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
      var q = document.querySelector("input[name=q]"); if (q) { q.focus(); ev.preventDefault(); }
    }
  });
})();
