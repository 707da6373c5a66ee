"""Markdown to safe HTML for the tutor's pages (mark schemes, prompts and learners' answers).

Markdown is rendered by mistune (nbconvert's renderer), then sanitised with nh3 (the Rust ``ammonia``
sanitiser): no ``<script>``, no event handlers, no ``javascript:`` links, whatever a learner wrote. When
the sandbox's sanitiser (:func:`syslead.grading.clean.clean_html`) is installed it is used, so there is
one rule for the whole course; until then the same nh3 call is made here.
"""

from __future__ import annotations

from markupsafe import Markup


def sanitise(html: str) -> str:
    try:
        from syslead.grading.clean import clean_html
    except ImportError:  # the sandbox's helper is not on this branch yet: the same nh3 call
        import nh3

        return nh3.clean(html, link_rel="noopener noreferrer")
    return clean_html(html)


def markdown_html(text: str) -> Markup:
    """``text`` (markdown, possibly with HTML in it) as sanitised HTML, safe to put in a page."""
    import mistune

    return Markup(sanitise(mistune.html(text or "")))
