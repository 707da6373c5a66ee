"""Accessibility of our own content, checked by axe-core in the browser on every notebook a learner opens.

Each notebook (the pages in notebooks/ and every released reading) is opened in JupyterLab in the learner
configuration and run from the top; then axe-core (from the npm registry, installed by
`.ci/setup.d/20-chromium.sh`) checks what the course wrote: the rendered markdown cells and the cells'
outputs (charts, tables, the feedback helper, sliders), not JupyterLab's own menus and editor.

It fails on any critical violation there, and on any violation of the rules that are ours to keep
whatever axe's rating: alt text on images, headings in order, text contrast (our tables, captions and
HTML output), link names. Each chart must carry alt text of ours (JupyterLab's stand-in "Image" does not
count). Contrast *inside* a chart's picture is not something axe can see: it reads text, not pixels.
Serious findings outside those rules (JupyterLab's link styling, ipywidgets' unnamed slider handles) are
reported as warnings, not failures.
"""

from __future__ import annotations

import warnings

import pytest
from browser_lab import (
    NOTEBOOK,
    VIEWPORT,
    chromium,  # noqa: F401 - a fixture
    inject_axe,
    lab_server,
    new_page,
    run_all,
    wait_for_notebook,
)
from conftest import ROOT, copy_course

pytestmark = pytest.mark.slow

#: Every page a learner opens: notebooks/ (but the tutors' pages, tutor-*.ipynb, which read a gradebook) and
#: each released reading.
NOTEBOOKS = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("release/*/*.ipynb")]
                   if not p.name.startswith("tutor-"))

#: Rules that are ours to keep in every notebook, whatever impact axe gives them.
OURS = {"image-alt", "role-img-alt", "heading-order", "empty-heading", "color-contrast", "link-name",
        "th-has-data-cells", "td-headers-attr", "list", "listitem"}

#: Our content in the notebook in front: rendered markdown and cell outputs.
CONTENT = [f"{NOTEBOOK} .jp-MarkdownCell .jp-RenderedMarkdown", f"{NOTEBOOK} .jp-OutputArea-output"]

AXE_RUN = """async ([include, ours, notebook]) => {
    const result = await axe.run({include: include.map(s => [s])});
    const cells = [...document.querySelectorAll(notebook + ' .jp-Notebook .jp-Cell')];
    const found = [];
    for (const v of result.violations) {
        if (v.impact !== 'critical' && !ours.includes(v.id)) continue;
        for (const node of v.nodes) {
            const el = document.querySelector(node.target[node.target.length - 1]);
            const cell = el ? cells.indexOf(el.closest('.jp-Cell')) : -1;
            found.push({rule: v.id, impact: v.impact, cell: cell, html: node.html.slice(0, 160),
                        why: node.failureSummary.replace(/\\s+/g, ' ').slice(0, 300)});
        }
    }
    // JupyterLab gives a markdown image without alt text the alt "Image", which axe accepts: we don't.
    for (const img of document.querySelectorAll(include.map(s => s + ' img').join(', '))) {
        if (!img.alt || img.alt.trim() === 'Image') {
            found.push({rule: 'image-alt', impact: 'critical', cell: cells.indexOf(img.closest('.jp-Cell')),
                        html: img.outerHTML.slice(0, 160), why: 'an image with no alt text of ours'});
        }
    }
    const others = result.violations.filter(v => v.impact !== 'critical' && !ours.includes(v.id))
        .map(v => `${v.id} (${v.impact}, ${v.nodes.length})`);
    const contrast = result.passes.concat(result.violations).filter(v => v.id === 'color-contrast')
        .reduce((n, v) => n + v.nodes.length, 0);
    return {found: found, others: others, contrast: contrast};
}"""


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("a11y")
    course = copy_course(home / "course")
    with lab_server(course, home, learner=True) as lab:
        yield lab


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_our_content_has_no_serious_accessibility_violations(learner_lab, chromium, path):  # noqa: F811
    page = new_page(chromium)
    page.goto(learner_lab.url(f"lab/tree/{path}"))
    wait_for_notebook(page, path.rsplit("/", 1)[1])
    run_all(page)
    # Make the window as tall as the notebook, so that every cell is laid out and on screen (JupyterLab
    # skips drawing cells out of view, and axe can only judge the contrast of text that is drawn).
    scroller = page.locator(f"{NOTEBOOK} .jp-WindowedPanel-outer")
    height = scroller.evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 300, 30_000)})
    scroller.evaluate("e => { e.scrollTop = 0; }")
    # JupyterLab's <body> is 0 px high with overflow hidden (its shell is positioned absolutely), so axe
    # takes every cell for clipped and checks no text contrast at all; give the body the window's height.
    page.add_style_tag(content="html, body { height: 100% !important; }")
    page.wait_for_timeout(500)
    inject_axe(page)
    report = page.evaluate(AXE_RUN, [CONTENT, sorted(OURS), NOTEBOOK])
    page.context.close()
    assert report["contrast"] > 20, f"axe judged the contrast of only {report['contrast']} elements: not on screen?"
    problems = [f"cell {f['cell']}: {f['rule']} ({f['impact']}): {f['why']} in {f['html']}" for f in report["found"]]
    assert not problems, f"{path}:\n" + "\n".join(problems)
    if report["others"]:  # lesser findings, not in our hands alone (JupyterLab's theme, ipywidgets' sliders)
        warnings.warn(f"{path}: axe also reports {', '.join(report['others'])}", stacklevel=1)
