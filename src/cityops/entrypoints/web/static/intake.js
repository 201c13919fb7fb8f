// Intake page: pick suggestions into the form, Ctrl+Enter to submit, Esc to clear, reset after success.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("intake-form");
    if (!form) return;
    var $ = function (id) { return document.getElementById(id); };
    var answer = $("f-answer"), kb = $("f-kb-entry"), unit = $("f-lead-unit"), text = $("f-text");
    var suggest = $("suggest"), hint = $("ctrl-enter-hint");

    function mark(el) {
      if (!el) return;
      el.classList.remove("just-picked");
      void el.offsetWidth;  // restart the highlight animation
      el.classList.add("just-picked");
    }

    function setSelect(id, value) {
      var sel = $(id);
      if (!sel || !value) return;
      var has = Array.prototype.some.call(sel.options, function (o) { return o.value === value; });
      if (has) { sel.value = value; mark(sel); sel.dispatchEvent(new Event("change", { bubbles: true })); }
    }

    function pick(el) {
      var kind = el.dataset.pick, v = el.dataset.value || "";
      if (kind === "category") setSelect("f-category", v);
      else if (kind === "urgency") setSelect("f-urgency", v);
      else if (kind === "unit") setSelect("f-lead-unit", v);
      else if (kind === "group") {
        var box = form.querySelector('input[name="special_groups"][value="' + CSS.escape(v) + '"]');
        if (box) { box.checked = true; mark(box.closest("label")); }
      } else if (kind === "answer") {
        answer.value = v; kb.value = el.dataset.kb || ""; mark(answer);
      }
      el.classList.add("picked");
      updateHint();
    }

    function pickAll() {
      if (!suggest) return;
      var first = suggest.querySelector('[data-pick="category"]');
      if (first) pick(first);
      suggest.querySelectorAll('[data-pick="urgency"], [data-pick="group"], [data-pick="unit"]').forEach(pick);
    }

    // The button Ctrl+Enter presses: dispatch when a unit is chosen, reply when an answer is written.
    function defaultButton() {
      if (unit.value) return $("btn-dispatch");
      if (answer.value.trim()) return $("btn-reply");
      return $("btn-create");
    }
    function updateHint() {
      var b = defaultButton();
      ["btn-dispatch", "btn-reply", "btn-create"].forEach(function (id) { $(id).classList.toggle("default", $(id) === b); });
      if (hint) hint.textContent = "Ctrl+Enter → " + b.textContent.trim();
    }

    function clearForm() {
      form.querySelectorAll("input[type=text], input:not([type]), input[type=tel], textarea").forEach(function (el) { el.value = ""; });
      form.querySelectorAll("input[type=checkbox]").forEach(function (el) { el.checked = false; });
      kb.value = "";
      $("f-urgency").value = "normal";
      $("f-channel").value = "hotline_12345";
      $("f-category").value = "";
      unit.value = "";
      Array.prototype.forEach.call($("f-co-units").options, function (o) { o.selected = false; });
      form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
      if (suggest) suggest.innerHTML = '<p class="muted">' + suggest.dataset.empty + "</p>";
      var banner = $("critical-banner");
      if (banner) { banner.innerHTML = ""; banner.classList.remove("on"); }
      counter();
      updateHint();
      $("f-caller-name").focus();
    }

    function counter() {
      var c = document.querySelector('[data-count-for="f-text"]');
      if (c) c.textContent = text.value.length ? text.value.length + " / " + text.maxLength : "";
    }

    document.addEventListener("click", function (ev) {
      var p = ev.target.closest("[data-pick]");
      if (p) { pick(p); return; }
      if (ev.target.closest("[data-pick-all]")) { pickAll(); return; }
      var c = ev.target.closest("[data-copy]");
      if (c && navigator.clipboard) {
        navigator.clipboard.writeText(c.dataset.copy).then(function () { c.textContent = c.dataset.copied; });
      }
    });

    form.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        var b = defaultButton();
        if (!b.disabled) b.click();
      } else if (ev.key === "Enter" && ev.target.tagName === "INPUT") {
        ev.preventDefault();  // a plain Enter in a field must not dispatch half an intake
      }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && !ev.defaultPrevented) {
        if (window.confirm(form.dataset.confirmClear)) clearForm();
      } else if (ev.altKey && (ev.key === "a" || ev.key === "A")) {
        ev.preventDefault(); pickAll();
      }
    });

    answer.addEventListener("input", function () { if (!answer.value.trim()) kb.value = ""; updateHint(); });
    unit.addEventListener("change", updateHint);
    text.addEventListener("input", counter);

    // After a successful submit (HX-Trigger-After-Settle from the server) the form is cleared
    // for the next call; the new order number stays in the result box above the form.
    document.body.addEventListener("intake-created", clearForm);

    // Suggestions answered after the form was cleared belong to the previous call: drop them
    // (their hidden suggestion and duplicate fields would otherwise go with the next order).
    document.body.addEventListener("htmx:beforeSwap", function (ev) {
      if (ev.detail.target === suggest && !text.value.trim() && !$("f-address").value.trim()) {
        ev.detail.shouldSwap = false;
        suggest.innerHTML = '<p class="muted">' + suggest.dataset.empty + "</p>";
        var banner = $("critical-banner");
        if (banner) { banner.innerHTML = ""; banner.classList.remove("on"); }
      }
    });
    // A refused submit: focus the field the server named.
    document.body.addEventListener("htmx:afterSwap", function (ev) {
      if (!ev.detail.target || ev.detail.target.id !== "intake-msg") return;
      var err = ev.detail.target.querySelector(".flash.error[data-field]");
      if (!err || !err.dataset.field) return;
      var f = form.querySelector('[name="' + CSS.escape(err.dataset.field) + '"]');
      if (f && f.type !== "hidden") { f.setAttribute("aria-invalid", "true"); f.focus(); }
    });
    // Field-level errors from the page itself (required, pattern) in the user's language.
    var phone = $("f-caller-phone");
    phone.addEventListener("input", function () { phone.setCustomValidity(""); });
    phone.addEventListener("invalid", function () {
      if (phone.validity.patternMismatch) phone.setCustomValidity(phone.title);
    });

    updateHint();
    counter();
  });
})();
