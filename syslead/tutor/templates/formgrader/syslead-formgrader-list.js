// The course's addition to formgrader's Manual Grading list of one notebook's submissions
// (syslead/tutor/formgrader.py): an "Ungraded only" filter, as on the grading page. It shows only the
// rows whose "Needs Manual Grade?" cell says so (formgrader marks those cells "needs manual grade" for
// its table's search).
/* global $ */
(function () {
  "use strict";
  function setup(settings) {
    const api = new $.fn.dataTable.Api(settings);
    const header = $(api.table().header()).find("th").filter(function () {
      return /needs manual grade/i.test($(this).text());
    });
    if (!header.length || document.getElementById("syslead-ungraded-only")) return;
    const column = api.column(header[0]);
    const label = $('<label style="margin: 0 1em; font-weight: normal;"></label>');
    const box = $('<input type="checkbox" id="syslead-ungraded-only" style="margin-right: 0.4em;">');
    label.append(box).append(document.createTextNode("Ungraded only"));
    box.on("change", function () {
      column.search(this.checked ? "needs manual grade" : "").draw();
    });
    const where = $("#toggle_names");
    if (where.length) where.after(label); else $(api.table().container()).before(label);
  }

  $(document).on("init.dt", function (event, settings) { setup(settings); });
  $.fn.dataTable.tables().forEach(function (table) { setup($(table).DataTable().settings()[0]); }); // if already made
})();
