{#- formgrader's Manual Grading pages (nbgrader's gradebook_base.tpl) with a banner to the course's grading page. -#}
{%- extends 'nbgrader/gradebook_base.tpl' -%}

{%- block body -%}
<div class="alert alert-info" role="note" id="syslead-grading-page">
  <strong>Grading reflections?</strong> The course's
  <a href="{{ base_url }}/syslead/grade">grading page</a> shows each answer beside its mark scheme,
  offers the comments already given on the question, and goes through only the answers still to grade.
  Marks saved there show here at once, and marks saved here show there.
</div>
{{ super() }}
{%- endblock body -%}

{%- block script -%}
{{ super() }}
<script src="{{ base_url }}/syslead/grade/syslead-formgrader-list.js"></script>
{%- endblock script -%}
