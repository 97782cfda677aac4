/* Assessment wizard: autosave, live show-if, save indicator.
 *
 * Progressive enhancement only: without this file every "Save and continue" still saves.
 * Each answer is saved on its own shortly after it changes, with the revision the page knows;
 * the server refuses a stale revision (409) instead of overwriting a colleague's answer.
 */
(function () {
  "use strict";
  var form = document.getElementById("section-form");
  var dataNode = document.getElementById("wizard-data");
  if (!form || !dataNode || !window.fetch) { return; }
  var data = JSON.parse(dataNode.textContent);
  var status = document.getElementById("save-status");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var answers = data.answers || {};
  var pending = {};      // question id -> true while a change is not yet saved
  var timers = {};       // debounce timers for notes
  var chains = {};       // one request at a time per question
  var retryDelay = 2000;
  var halted = false;    // after a conflict or sign-out, the form submit takes over

  function fieldset(qid) { return form.querySelector('fieldset[data-question="' + qid + '"]'); }
  // A save's news goes beside the question it is about (a polite live region there), so the
  // person — and a screen reader — hears it where they are working; page-wide news goes on top.
  function show(state, text, qid) {
    var target = qid && fieldset(qid) && fieldset(qid).querySelector(".portal-field-status");
    if (target) { target.dataset.state = state; target.textContent = text; return; }
    status.dataset.state = state; status.textContent = text;
  }
  // "9:14 AM CST": when the server saved it (its Date header; else this device's time), on the
  // organization's clock with the zone named, as the server writes times on the page.
  function savedAt(response) {
    var when = new Date(response.headers.get("Date") || Date.now());
    if (isNaN(when.getTime())) { when = new Date(); }
    var options = { hour: "numeric", minute: "2-digit", timeZoneName: "short" };
    // The page's language, US variety ("es-US": 9:14 p. m.); English as the server writes it.
    var locale = (document.documentElement.lang || "en") + "-US";
    try {
      return when.toLocaleTimeString(locale, Object.assign({ timeZone: data.timeZone }, options));
    } catch (e) {  // a zone this browser does not know: its own clock, still named
      return when.toLocaleTimeString(locale, options);
    }
  }

  function currentValue(qid) {
    var checked = fieldset(qid).querySelector('input[type="radio"]:checked');
    return checked ? checked.value : null;
  }
  function revisionInput(qid) { return form.querySelector('input[data-revision="' + qid + '"]'); }

  // The rule comes from the server (Condition.as_json): which answers show the question, and
  // what an unanswered one does. Nothing about it is decided here.
  function holds(condition) {
    if (condition.all) { return condition.all.every(holds); }
    if (condition.any) { return condition.any.some(holds); }
    var answer = answers[condition.question];
    if (answer === undefined || answer === null) { return condition.unanswered; }
    return condition.shown_for.indexOf(answer) !== -1;
  }

  function applyConditions() {
    Object.keys(data.conditions || {}).forEach(function (qid) {
      var node = fieldset(qid);
      if (!node) { return; }
      var visible = holds(data.conditions[qid]);
      node.hidden = !visible;
      node.disabled = !visible;   // hidden questions post nothing, so nothing stored is touched
    });
    // Number the questions shown, as the server did: no gap where one is hidden.
    var shown = 0;
    form.querySelectorAll("fieldset[data-question]").forEach(function (node) {
      var number = node.querySelector(".portal-question__number");
      if (!node.hidden && number) { shown += 1; number.textContent = shown + "."; }
    });
    updateProgress();
  }

  // The section list and the overall bar follow the answers given on this page, as the server
  // will count them on the next load (questions shown; those with an answer chosen).
  var overall = document.querySelector(".portal-steps__overall");
  var currentCount = document.querySelector(".usa-current .portal-steps__count");
  var bar = document.querySelector(".portal-steps progress");
  var baseline = null;
  function updateProgress() {
    var answered = 0, total = 0;
    form.querySelectorAll("fieldset[data-question]").forEach(function (node) {
      if (node.hidden) { return; }
      total += 1;
      if (node.querySelector('input[type="radio"]:checked')) { answered += 1; }
    });
    if (baseline === null) { baseline = {answered: answered, total: total}; return; }
    if (!overall || !currentCount) { return; }
    currentCount.textContent = answered + "/" + total;
    if (total && answered === total) {
      var done = document.createElement("span");
      done.className = "usa-sr-only";
      done.textContent = window.portalWord("complete");
      currentCount.append(" ", done, "✓");
    }
    var allAnswered = Number(overall.dataset.answered) + answered - baseline.answered;
    var allTotal = Number(overall.dataset.total) + total - baseline.total;
    overall.querySelector("strong").textContent = window.portalWord("x_of_y", {done: allAnswered, total: allTotal});
    if (bar) { bar.max = allTotal || 1; bar.value = allAnswered; }
    var phone = document.querySelector(".portal-progress-phone");
    if (phone) {
      phone.querySelector("strong").textContent = window.portalWord("x_of_y", {done: allAnswered, total: allTotal});
      var phoneBar = phone.querySelector("progress");
      phoneBar.max = allTotal || 1; phoneBar.value = allAnswered;
    }
  }

  function fallBackToForm(reason) {
    halted = true;
    show("error", window.portalWord("saving_with_form", {reason: reason}));
    var action = document.createElement("input");
    action.type = "hidden"; action.name = "action"; action.value = "stay";
    form.appendChild(action);
    form.submit();
  }

  function save(qid) {
    if (halted) { return; }
    var node = fieldset(qid);
    if (!node || node.disabled) { return; }
    var body = {
      question_id: qid,
      value: currentValue(qid),
      note: node.querySelector("textarea").value,
      revision: parseInt(revisionInput(qid).value || "0", 10)
    };
    pending[qid] = true;
    show("saving", window.portalWord("saving"), qid);
    chains[qid] = (chains[qid] || Promise.resolve()).then(function () {
      body.revision = parseInt(revisionInput(qid).value || "0", 10);
      return fetch(data.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (response.ok) {
            if (json.revision) { revisionInput(qid).value = json.revision; }
            delete pending[qid];
            retryDelay = 2000;
            show("saved", window.portalWord("saved_at", {time: savedAt(response)}), qid);
          } else if (response.status === 409) {
            halted = true;
            show("conflict", json.message || window.portalWord("conflict"), qid);
          } else if (response.status === 401 || json.error === "csrf") {
            fallBackToForm(window.portalWord("signed_out"));
          } else if (response.status >= 500) {
            throw new Error("server");
          } else {
            delete pending[qid];
            show("error", json.message || window.portalWord("not_saved"), qid);
          }
        });
      }).catch(function () {
        show("retrying", window.portalWord("retrying", {seconds: Math.round(retryDelay / 1000)}), qid);
        setTimeout(function () { save(qid); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      });
    });
  }

  form.addEventListener("change", function (event) {
    var node = event.target.closest("fieldset[data-question]");
    if (!node || event.target.type !== "radio") { return; }
    var qid = node.dataset.question;
    answers[qid] = event.target.value;
    applyConditions();
    save(qid);
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") { return; }
    var qid = event.target.closest("fieldset[data-question]").dataset.question;
    pending[qid] = true;
    var summary = event.target.closest("details").querySelector("summary");
    summary.textContent = window.portalWord(event.target.value.trim() ? "edit_note" : "add_note");
    clearTimeout(timers[qid]);
    timers[qid] = setTimeout(function () { save(qid); }, 800);
  });
  form.addEventListener("submit", function () { halted = true; pending = {}; });
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length && !halted) { event.preventDefault(); event.returnValue = ""; }
  });

  // Answers given on this page count for conditions on this page too.
  form.querySelectorAll("fieldset[data-question]").forEach(function (node) {
    var value = currentValue(node.dataset.question);
    if (value) { answers[node.dataset.question] = value; }
  });
  applyConditions();
  show("idle", window.portalWord("autosave"));
})();
