"""The course as a web book: built with Jupyter Book from the learners' copy (`syslead publish OUT --web`),
offline, with every notebook run so that each chart shows with its alt text.

The book is built once for the session (it runs every notebook: about two minutes here); each test reads
it. The browser tests open it in Debian's Chromium from a server on 127.0.0.1, refuse every request that
would leave this machine (and fail if a page makes one), check that every page shows its charts, that
search finds a word, and run axe-core on every page: no serious or critical violation in our content
(the page's article); what the theme itself causes is reported, not failed.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import threading
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml
from browser_lab import SCREENSHOTS, VIEWPORT, chromium, inject_axe, screenshot  # noqa: F401 - chromium is a fixture
from conftest import ROOT

from syslead.course import load_course
from syslead.tutor.publish import publish

pytestmark = pytest.mark.slow

SETTINGS = {"repository": "https://github.com/example-course-team/systems-leadership-learners",
            "hub_url": "https://hub.example.org"}
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("web") / "learners"
    report = publish(out, load_course(ROOT / "course.yml"), web=True, **SETTINGS)
    return report.web


def toc_pages(book: Path) -> list[str]:
    """The book's pages, from the toc publish wrote: 'index', 'release/01-.../01-...', ..."""
    toc = yaml.safe_load((book.parent.parent / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc["chapters"]]


def charts_of(book: Path, page: str) -> list[str]:
    """The alt text of every chart the notebook drew when the book ran it."""
    executed = book.parent / "jupyter_execute" / f"{page}.ipynb"
    if not executed.is_file():
        return []
    alts = []
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "<img" in data.get("text/html", "") and data.get("text/plain", "").startswith("[Chart] "):
                alts.append(data["text/plain"].removeprefix("[Chart] "))
    return alts


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.resources: list[str] = []  # what the browser fetches when it shows the page
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "a" and key == "src"):
                self.links.append((tag, a[key]))
                fetched = tag in ("script", "img", "iframe", "source", "video", "audio") or (
                    tag == "link" and a.get("rel") in ("stylesheet", "preload", "icon", "prefetch", "modulepreload"))
                if fetched:
                    self.resources.append(f"<{tag}> {a[key]}")


def pages_of(book: Path) -> list[Path]:
    """The book's HTML pages (not the theme's templates in _static/)."""
    return [f for f in sorted(book.rglob("*.html")) if "_static" not in f.relative_to(book).parts]


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


# --- the build ----------------------------------------------------------------------------------------

def test_every_page_of_the_toc_was_built_and_every_reading_has_its_charts(book):
    course = load_course(ROOT / "course.yml")
    for page in toc_pages(book):
        assert (book / f"{page}.html").is_file(), page
    for a in course.assignments:
        alts = charts_of(book, f"release/{a.id}/{a.id}")
        page = (book / f"release/{a.id}/{a.id}.html").read_text(encoding="utf-8")
        if a.id != "04-leading-your-system" or alts:
            assert alts, f"{a.id}: the book ran the notebook but it drew no chart"
        for alt in alts:
            assert f'alt="{alt}"' in html.unescape(page), alt


def test_every_internal_link_and_resource_of_the_book_exists(book):
    broken = []
    for f in pages_of(book):
        for tag, link in parse(f).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (f.parent / unquote(parts.path)).resolve() if parts.path else f
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{f.relative_to(book)}: <{tag}> {link}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parse(target).ids:
                broken.append(f"{f.relative_to(book)}: <{tag}> {link} (no such anchor)")
    assert broken == []


def test_the_pages_load_nothing_from_the_internet(book):
    outside = []
    for f in pages_of(book):
        resources = parse(f).resources
        assert resources, f"{f}: no scripts or styles at all?"
        outside += [f"{f.relative_to(book)}: {r}" for r in resources if "://" in r or "> //" in r]
    assert outside == []


def notebook_pages(book: Path) -> list[str]:
    """The pages made from notebooks: every page of the course (the others are plain notes it links to)."""
    return [p for p in toc_pages(book) if (book.parent.parent / f"{p}.ipynb").is_file()]


def test_every_page_of_the_course_has_launch_buttons_to_binder_and_the_hub(book):
    pages = notebook_pages(book)
    assert len(pages) == len(load_course(ROOT / "course.yml").assignments) + 3  # map, start page, journal
    for page in pages:
        text = html.unescape((book / f"{page}.html").read_text(encoding="utf-8"))
        binder = f"https://mybinder.org/v2/gh/example-course-team/systems-leadership-learners/learners?urlpath=lab/tree/{page}.ipynb"
        assert binder in text, f"{page}: no Binder launch button"
        hub = ("https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A//github.com/example-course-team/"
               f"systems-leadership-learners&urlpath=lab/tree/systems-leadership-learners/{page}.ipynb&branch=learners")
        assert hub in text, f"{page}: no JupyterHub launch button"


def test_the_front_page_has_the_course_map_and_the_times(book):
    course = load_course(ROOT / "course.yml")
    text = html.unescape((book / "index.html").read_text(encoding="utf-8"))
    # Sphinx typesets straight quotes as curly ones ("viral" becomes “viral”); compare the words.
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    for a in course.assignments:
        assert a.title in text
        assert f'href="release/{a.id}/{a.id}.html"' in text
        assert f"{a.minutes} minutes" in text  # the section table's total
        for minutes in a.part_minutes:  # and the course map's rows: a notebook in two parts has one for each
            assert f"{minutes} minutes" in text
        for s in a.sections:
            assert s.title in text
    assert (book / "search.html").is_file() and (book / "searchindex.js").stat().st_size > 10_000


# --- in the browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(book):
    handler = functools.partial(QuietHandler, directory=str(book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const ours = [], theirs = [];
  for (const v of result.violations) {
    for (const node of v.nodes) {
      const inside = node.target.some(sel => { const el = document.querySelector(sel);
                                              return el && el.closest('article.bd-article'); });
      (inside ? ours : theirs).push(`${v.id} (${v.impact}): ${node.target.join(' ')}`);
    }
  }
  return {ours, theirs, serious: result.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)};
}"""


def open_page(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    outside: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="networkidle")
    return context, page, outside, errors


def test_every_page_renders_with_its_charts_and_has_no_serious_accessibility_violation(book, site, chromium):  # noqa: F811
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures, theme = [], set()
    for name in toc_pages(book):
        context, page, outside, errors = open_page(chromium, f"{site}/{name}.html")
        try:
            assert page.locator("article.bd-article h1").count() >= 1, f"{name}: no heading: the page did not render"
            for alt in charts_of(book, name):
                img = page.locator("article.bd-article").get_by_alt_text(alt, exact=True)
                assert img.count() == 1, f"{name}: the chart {alt[:50]!r} is not on the page"
                img.scroll_into_view_if_needed()
                loaded = img.evaluate("el => el.complete && el.naturalWidth > 100")
                assert loaded, f"{name}: the chart {alt[:50]!r} did not load"
            if name in notebook_pages(book):
                assert page.locator('a[href*="mybinder.org/v2/gh/"]').count() >= 1, f"{name}: no Binder launch link"
                assert page.locator('a[href*="hub.example.org"]').count() >= 1, f"{name}: no JupyterHub launch link"
            inject_axe(page)
            report = page.evaluate(AXE_RUN)
            failures += [f"{name}: {v}" for v in report["ours"] if "(serious)" in v or "(critical)" in v]
            theme |= {v.split(":")[0] for v in report["theirs"]}
            assert outside == [], f"{name} asked for {outside[:3]}: the web book must work offline"
            assert errors == [], f"{name}: JavaScript errors {errors[:3]}"
            if name == "release/01-systems-leadership/01-systems-leadership":  # README's picture: a chart
                screenshot(page, "web-book.png")
            if name == "index":
                page.screenshot(path=str(ARTIFACTS / "web-book-front-page.png"))
        finally:
            context.close()
    assert failures == []
    if theme:
        warnings.warn(f"the book theme itself has axe violations: {', '.join(sorted(theme))}", stacklevel=1)


def test_search_finds_a_word_of_a_reading(book, site, chromium):  # noqa: F811
    context, page, outside, errors = open_page(chromium, f"{site}/search.html?q=hierarchy")
    try:
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=30_000)
        hrefs = [results.nth(i).locator("a").first.get_attribute("href") for i in range(results.count())]
        assert any("01-systems-leadership" in h for h in hrefs), hrefs
        assert outside == [] and errors == []
    finally:
        context.close()


def test_a_screenshot_of_the_web_book_is_in_the_readme():
    assert (SCREENSHOTS / "web-book.png").is_file()
    assert "docs/screenshots/web-book.png" in (ROOT / "README.md").read_text()
