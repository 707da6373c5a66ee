"""The notebooks' sliders: one short call each, a usable track, an accessible name, a sentence when the
chart can't be drawn, and a sentence after a restart (issue 21, item 7)."""

from __future__ import annotations

import pytest

from syslead.charts import base, capacity, contagion, diffusion, emergence, spread

EXPLORE = {
    "reading 1, figure 3": spread.explore_reach,
    "reading 1, figure 5": contagion.explore_practice,
    "reading 2, figure 1": diffusion.explore_adoption,
    "reading 3, figure 2": capacity.explore_hero_or_host,
    "reading 3, figure 4": emergence.explore_cascade_window,
}


@pytest.fixture
def live(monkeypatch):
    """Sliders as a learner's running notebook makes them (the tests otherwise ask for the sentence only),
    without drawing the charts."""
    monkeypatch.delenv("SYSLEAD_NO_WIDGETS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(base, "name_slider_handles", lambda: None)


def _controls(made):
    *controls, output = made.box.children
    assert output.__class__.__name__ == "Output"
    return controls


@pytest.mark.parametrize("name", list(EXPLORE))
def test_each_set_of_sliders_has_short_names_a_tooltip_and_room_for_its_track(name, live, monkeypatch):
    monkeypatch.setattr(base, "show", lambda chart, alt=None: None)
    made = EXPLORE[name]()
    assert "syslead-sliders" in made.box._dom_classes
    for control in _controls(made):
        # the description is the slider's accessible name: short, so that it leaves the track its room
        assert 0 < len(control.description) <= 24, control.description
        assert len(control.tooltip) > len(control.description)
        assert control.layout.width == "100%" and control.layout.max_width == base.SLIDER_WIDTH
        assert control.continuous_update is False


@pytest.mark.parametrize("name", list(EXPLORE))
def test_where_widgets_do_not_render_the_sliders_read_as_a_sentence(name, monkeypatch):
    monkeypatch.setenv("SYSLEAD_NO_WIDGETS", "1")
    made = EXPLORE[name]()
    assert made.box is None and "slider" in made.fallback.lower()
    assert made._repr_mimebundle_() == {"text/plain": made.fallback}


def test_a_setting_the_chart_refuses_gets_one_sentence_not_a_traceback(live, capsys):
    from ipywidgets import FloatSlider

    def refuse(x):
        raise ValueError("The share must be between 0 and 1.")

    base.sliders(refuse, fallback="A slider.", x=FloatSlider(value=2.0, min=0, max=3))
    said = capsys.readouterr().out
    assert "This setting can't be drawn: The share must be between 0 and 1." in said
    assert "Traceback" not in said


def test_after_a_restart_the_page_says_what_to_run():
    # ipywidgets marks a view 'jupyter-widgets-disconnected' when the kernel restarts; the page script
    # puts the restart sentence above such a set of sliders
    assert "jupyter-widgets-disconnected" in base.NAME_HANDLES_JS
    assert "Run All Cells" in base.RESTART_NOTE and base.RESTART_NOTE.count(".") == 1
