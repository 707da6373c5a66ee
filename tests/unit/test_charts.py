"""syslead.charts.base and syslead.charts.spread: one style, alt text on every chart, sliders with a fallback."""

from __future__ import annotations

import re

import matplotlib as mpl
import pytest

from syslead import charts
from syslead.charts import spread as spread_charts
from syslead.charts import style


def test_importing_charts_applies_the_colour_blind_safe_palette():
    colours = [c.upper() for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert colours == [c.upper() for c in style.PALETTE]
    assert set(colours) <= {c.upper() for c in style.OKABE_ITO.values()}
    assert "#F0E442" not in colours  # yellow is too light for lines on white


def test_a_chart_shows_as_an_image_with_alt_text_and_a_text_fallback():
    fig, ax = charts.figure()
    ax.plot([0, 1], [0, 1])
    chart = charts.render(fig, alt='A straight line from 0 to 1 & "back".')
    bundle = chart._repr_mimebundle_()
    assert bundle["text/html"].count("<img") == 1
    assert 'alt="A straight line from 0 to 1 &amp; &quot;back&quot;."' in bundle["text/html"]
    assert bundle["image/png"] and chart.png.startswith(b"\x89PNG")
    assert bundle["text/plain"] == '[Chart] A straight line from 0 to 1 & "back".'


def test_a_chart_without_alt_text_is_refused():
    fig, _ = charts.figure()
    with pytest.raises(ValueError, match="alt text"):
        charts.render(fig, alt="  ")


def test_sliders_read_as_a_sentence_where_widgets_do_not_render():
    from ipywidgets import IntSlider

    box = charts.sliders(lambda n: spread_charts.reach_over_time(n=n), fallback="Sliders change n.",
                         n=IntSlider(value=200, min=100, max=300))
    bundle = box._repr_mimebundle_()
    assert bundle["text/plain"] == "Sliders change n."
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize(
    "make",
    [
        lambda: spread_charts.picture(n=20, span=2, contacts=4, absent=2),
        lambda: spread_charts.reach_over_time(n=500, pass_on=0.5),
        lambda: spread_charts.time_to_90_by_size(sizes=(10, 100, 1000)),
        lambda: spread_charts.reach_with_absence(n=300, absences=(0.0, 0.1, 0.2), runs=2),
    ],
    ids=["picture", "reach_over_time", "time_to_90_by_size", "reach_with_absence"],
)
def test_every_reading_one_chart_has_alt_text_with_its_numbers(make):
    chart = make()
    assert isinstance(chart, charts.Chart)
    assert len(chart.alt) > 80 and re.search(r"\d", chart.alt)
    assert chart.png.startswith(b"\x89PNG")


def test_alt_text_reports_the_numbers_that_were_drawn():
    chart = spread_charts.time_to_90_by_size(sizes=(10, 1000), pass_on=1.0)
    table = chart.data
    for _, row in table.iterrows():
        assert f"{row['people']:,} people: hierarchy {row['hierarchy']}, network {row['network']}" in chart.alt


def test_absence_chart_shows_the_hierarchy_losing_branches():
    table = spread_charts.reach_with_absence(n=1000, absences=(0.0, 0.1), runs=3).data
    assert table["hierarchy"].iloc[0] == table["network"].iloc[0] == 1.0
    assert table["hierarchy"].iloc[1] < table["network"].iloc[1] - 0.1


def test_under_nbgrader_sliders_are_only_their_sentence(monkeypatch):
    from ipywidgets import IntSlider

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    calls = []
    box = charts.sliders(lambda n: calls.append(n), fallback="Sliders change n.", n=IntSlider(value=1))
    assert box._repr_mimebundle_() == {"text/plain": "Sliders change n."}
    assert calls == []  # nothing is drawn for a slider nobody can move
