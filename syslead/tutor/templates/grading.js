// The grading page (syslead.tutor.grading_page): one learner's answer at a time, levels as buttons, keyboard.
(function () {
  "use strict";
  const entries = JSON.parse(document.getElementById("entries").textContent);
  const settings = JSON.parse(document.getElementById("settings").textContent);
  const $ = (id) => document.getElementById(id);
  const comment = $("comment");
  let at = Math.max(0, entries.findIndex((e) => !e.graded));
  let chosen = null; // the score the tutor has chosen for the current answer, not saved yet

  function show() {
    const e = entries[at];
    if (!e) { $("learner").textContent = "No answers to this question yet."; return; }
    $("learner").textContent = e.learner;
    $("position").textContent = `(${at + 1} of ${entries.length})`;
    $("answer").innerHTML = e.answer_html || "<p><em>No answer.</em></p>"; // sanitised on the server (nh3)
    $("words").textContent = `${e.words} words`;
    $("blank-note").hidden = !e.blank;
    chosen = e.score;
    $("state").textContent = e.graded ? `graded: ${e.score} of ${settings.points}` :
      (e.score === null ? "not graded yet" : `not graded yet (auto score ${e.score})`);
    if (comment) comment.value = e.comment || "";
    mark();
    $("message").textContent = "";
  }

  function mark() {
    document.querySelectorAll(".levels button").forEach((b) => {
      const value = Number(b.dataset.fraction) * settings.points;
      b.setAttribute("aria-pressed", String(chosen !== null && Math.abs(value - chosen) < 1e-9));
    });
  }

  function choose(key) {
    const b = document.querySelector(`.levels button[data-level="${key}"]`);
    if (!b || !entries[at]) return;
    chosen = Math.round(Number(b.dataset.fraction) * settings.points * 1e6) / 1e6;
    mark();
    $("state").textContent = `chosen: ${chosen} of ${settings.points} (press g to save)`;
  }

  async function post(body) {
    const r = await fetch(settings.api, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-XSRFToken": settings.xsrf},
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await r.json(); } catch (err) { data = {error: "The server did not answer: reload the page."}; }
    return [r.status, data];
  }

  async function graded() {
    const e = entries[at];
    if (!e) return;
    if (chosen === null) { $("message").textContent = "Choose a level (0-4) first."; return; }
    const body = {grade: e.grade, score: chosen, marker: settings.second ? "second" : "first"};
    if (comment) body.comment = comment.value;
    let [status, data] = await post(body);
    if (status === 409 && data.confirm) {
      if (!window.confirm(data.confirm)) { $("message").textContent = "Not changed."; return; }
      body.confirm = true;
      [status, data] = await post(body);
    }
    if (status !== 200) { $("message").textContent = data.error || `Not saved (${status}).`; return; }
    e.score = data.score; e.graded = true; e.blank = false;
    if (comment) e.comment = comment.value;
    $("progress").textContent = data.progress.text;
    if (at < entries.length - 1) { at += 1; show(); } else { show(); $("message").textContent = "Saved: that was the last answer."; }
  }

  function move(step) { at = Math.min(entries.length - 1, Math.max(0, at + step)); show(); }

  document.querySelectorAll(".levels button").forEach((b) => b.addEventListener("click", () => choose(b.dataset.level)));
  document.querySelectorAll("button.reuse").forEach((b) => b.addEventListener("click", () => {
    comment.value = comment.value ? `${comment.value} ${b.textContent}` : b.textContent;
  }));
  $("graded").addEventListener("click", graded);
  $("next").addEventListener("click", () => move(1));
  $("prev").addEventListener("click", () => move(-1));
  document.addEventListener("keydown", (ev) => {
    if (ev.target && (ev.target.tagName === "TEXTAREA" || ev.target.tagName === "INPUT")) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "j" || ev.key === "ArrowRight") { move(1); ev.preventDefault(); }
    else if (ev.key === "k" || ev.key === "ArrowLeft") { move(-1); ev.preventDefault(); }
    else if (ev.key === "g") { graded(); ev.preventDefault(); }
    else if (document.querySelector(`.levels button[data-level="${ev.key}"]`)) { choose(ev.key); ev.preventDefault(); }
  });
  show();
})();
