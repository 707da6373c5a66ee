// The course's additions to formgrader's grading page of one submission (syslead/tutor/formgrader.py):
// - a banner with a link to the course's grading page, and one place (role="alert") for sentences;
// - under each reflection, its mark scheme, a link to that question on the grading page, and the comments
//   already given on that question, to reuse with one click;
// - a score is sent as typed (formgrader's page turned 7 into 4 on a 4-point answer): the server refuses
//   one that does not fit, with a sentence, which is shown here, and the box goes back to the saved score;
// - when the gradebook cannot be written, the server's sentence instead of a spinner that never stops.
/* global $, GradeUI, CommentUI, base_url, assignment_id, notebook_id */
(function () {
  "use strict";
  const server = base_url.replace(/\/formgrader$/, ""); // formgrader's page sets base_url to .../formgrader
  const gradingPage = server + "/syslead/grade";

  function say(text) {
    const box = document.getElementById("syslead-message");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function sentence(xhr) {
    const reply = xhr && xhr.responseJSON;
    if (reply && reply.message) return reply.message;
    if (xhr && xhr.status === 0) return "The server did not answer, so this was not saved: check that JupyterLab is still running, then reload the page.";
    return "The server did not save this (HTTP " + (xhr ? xhr.status : "?") + "): reload the page and try again.";
  }

  // After a refused save: stay on this submission, stop the spinner, say why. A score box goes back to the
  // score in the gradebook; a comment box keeps the tutor's text (nothing typed is lost), to save again.
  function failed(view, glyph, label, revert) {
    return function (model, xhr) {
      $(document).off("finished_saving"); // stay here: a move waiting for this save is dropped
      glyph.removeClass("glyphicon-refresh glyphicon-ok").addClass("glyphicon-remove").show();
      say(label(model) + ": " + sentence(xhr));
      if (!revert) return;
      // read without the model's request/sync events, which would show formgrader's spinner, then its tick
      $.getJSON(model.url()).done(function (data) { model.set(data); view.render(); });
    };
  }

  const gradeInit = GradeUI.prototype.initialize;
  GradeUI.prototype.initialize = function () {
    gradeInit.apply(this, arguments);
    this.listenTo(this.model, "error", failed(this, this.$glyph, (m) => m.get("name"), true));
  };
  // As formgrader's own save, but without turning a score above the maximum into the maximum (or a
  // negative one into 0): the server decides, and says why when it refuses.
  GradeUI.prototype.save = function () {
    const score = this.$score.val() === "" ? null : this.$score.val();
    const extra = this.$extra_credit.val() === "" ? null : this.$extra_credit.val();
    say(""); // a new save: the last sentence no longer applies
    this.model.save({ manual_score: score, extra_credit: extra });
    this.render();
  };

  const commentInit = CommentUI.prototype.initialize;
  CommentUI.prototype.initialize = function () {
    commentInit.apply(this, arguments);
    this.listenTo(this.model, "error", failed(this, this.$glyph, (m) => "The comment on " + m.get("name") + " (still in its box)", false));
  };

  function banner() {
    const div = document.createElement("div");
    div.className = "container";
    div.innerHTML =
      '<div class="alert alert-info" role="note" id="syslead-grading-page"><strong>Grading reflections?</strong> ' +
      "Each reflection's mark scheme and the comments already given on it are under its answer. The course's " +
      '<a id="syslead-grading-link">grading page</a> goes through one question at a time, only the answers still to grade.</div>' +
      '<div class="alert alert-danger" role="alert" id="syslead-message" hidden></div>';
    div.querySelector("#syslead-grading-link").href = gradingPage;
    document.body.insertBefore(div, document.body.firstChild);
  }

  // The comments already given on this question, as on the grading page: one click puts one in the comment
  // box and saves it (formgrader saves a comment when the box changes).
  function reuse(cell, comments) {
    const textarea = cell.querySelector("textarea.comment");
    if (!textarea || !comments.length) return;
    const box = document.createElement("div");
    box.className = "syslead-comments";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Comments already given on this question");
    const label = document.createElement("span");
    label.textContent = "Comments already given: ";
    box.appendChild(label);
    comments.forEach(function (text) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-default btn-xs syslead-reuse";
      button.style.margin = "2px";
      button.textContent = text.length > 80 ? text.slice(0, 77) + "..." : text;
      button.title = text;
      button.addEventListener("click", function () {
        $(textarea).val(text).trigger("change");
      });
      box.appendChild(button);
    });
    textarea.parentNode.insertBefore(box, textarea);
  }

  function schemes() {
    const url = gradingPage + "/api/schemes/" + encodeURIComponent(assignment_id) + "/" + encodeURIComponent(notebook_id);
    $.getJSON(url).done(function (found) {
      Object.keys(found).forEach(function (gradeId) {
        const input = document.getElementById(gradeId);
        const cell = input && $(input).parents(".nbgrader_cell")[0];
        if (!cell) return;
        const q = found[gradeId];
        const box = document.createElement("div");
        box.className = "panel-body syslead-scheme";
        box.style.borderTop = "1px solid #ddd";
        box.innerHTML = '<h5><strong>Mark scheme</strong> (from the source notebook)</h5><div class="syslead-scheme-text"></div>' +
          '<p><a class="syslead-question-link">Grade this question on the grading page</a> (comments to reuse, only what is still to grade)</p>';
        box.querySelector(".syslead-scheme-text").innerHTML = q.scheme_html; // rendered and sanitised on the server
        box.querySelector(".syslead-question-link").href = server + q.url;
        const body = cell.querySelector(".panel-body");
        body.parentNode.insertBefore(box, body.nextSibling);
        reuse(cell, q.comments || []);
      });
    }).fail(function (xhr) {
      say("The mark schemes could not be shown: " + sentence(xhr));
    });
  }

  $(document).ready(function () {
    banner();
    schemes();
  });
})();
