"""Learners' words made safe for the tutor's pages and spreadsheets.

- :func:`clean_notebook`: learner HTML in a notebook (markdown cells, their attachments, and the HTML,
  SVG, markdown and JavaScript outputs their code produced) sanitised with nh3 (the Rust ``ammonia``
  sanitiser): no ``<script>``, no event handlers, no ``javascript:`` links. :class:`SanitizeNotebook` does it
  inside nbgrader's autograde, so formgrader and the feedback render only the cleaned notebook.
- :func:`csv_cell`: a spreadsheet cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is read as a formula by Excel and LibreOffice; prefix it with ``'`` as OWASP advises ("CSV
  Injection"). ``syslead export`` and ``syslead reflections`` write every cell through it.
- :func:`clean_text`: control characters (terminal escape sequences) shown escaped, for every
  learner-derived string printed to a terminal.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_TAG = re.compile(r"<\s*[a-zA-Z!/?]")
_JS_LINK = re.compile(r"\]\(\s*(?:javascript|vbscript|data)\s*:", re.I)
_SVG_BAD = re.compile(r"<\s*script|\bon[a-z]+\s*=|javascript\s*:|<\s*foreignObject", re.I)
SCRIPT_TYPES = ("application/javascript", "text/javascript", "application/x-javascript")


_UNSAFE = re.compile(r"<\s*(script|iframe|object|embed|base|meta|form)\b|\bon[a-z]+\s*=|(javascript|vbscript)\s*:", re.I)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def clean_text(value) -> str:
    """``value`` as text that is safe to print to a terminal: every control character (escape sequences that
    set the window title or erase lines, carriage returns, bidirectional overrides) is shown escaped, as
    ``\\x1b`` or ``\\u202e``, never sent raw."""
    text = "" if value is None else str(value)

    def escape(match: re.Match) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, text)


def looks_unsafe(nb) -> bool:
    """Whether a learner's markdown or outputs hold script, event handlers or script links (for the report:
    :func:`clean_notebook` sanitises all HTML whether or not this says so)."""
    import html

    for cell in nb.get("cells", []):
        texts = []
        if cell.get("cell_type") in ("markdown", "raw"):
            source = cell.get("source", "")
            texts.append("".join(source) if isinstance(source, list) else source)
        for out in cell.get("outputs", []):
            data = out.get("data") if isinstance(out.get("data"), dict) else {}
            if any(k in data for k in SCRIPT_TYPES):
                return True
            texts += ["".join(v) if isinstance(v, list) else str(v) for k, v in data.items() if k != "text/plain"]
        if any(_UNSAFE.search(html.unescape(t)) for t in texts):
            return True
    return False


def csv_cell(value) -> str:
    """``value`` as text that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def clean_html(text: str) -> str:
    import nh3

    return nh3.clean(text, link_rel="noopener noreferrer")


SAFE_SCHEMES = ("http", "https", "mailto", "attachment")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);", re.I)


def safe_url(url: str | None, image: bool = False) -> bool:
    """Whether a link's destination is safe to follow: no scheme (a relative link or ``#``), or http(s), mailto,
    a notebook attachment, or (for an image) a data URL of a raster image. Entities and %-escapes are decoded
    and invisible characters dropped first, as a browser does (``jav&#x09;ascript:`` is ``javascript:``)."""
    import html
    import urllib.parse

    text = url or ""
    for _ in range(3):  # doubly encoded destinations too
        text = html.unescape(urllib.parse.unquote(text))
    text = _INVISIBLE.sub("", text).lower()
    match = _SCHEME.match(text)
    if match is None:
        return True
    return match.group(1) in SAFE_SCHEMES or (image and bool(_DATA_IMAGE.match(text)))


def safe_links(text: str) -> str:
    """Markdown whose link and image destinations are all safe. The text is parsed (mistune, which decodes
    entities and resolves reference-style links); if any destination is unsafe, the markdown is written again
    from the parsed tree with each unsafe destination replaced by ``#``. Safe text is returned unchanged."""
    import mistune
    from mistune.renderers.markdown import MarkdownRenderer

    tokens, state = mistune.create_markdown(renderer=None).parse(text)
    unsafe, stack = 0, list(tokens)
    while stack:
        token = stack.pop()
        if token.get("type") in ("link", "image"):
            token.pop("ref", None)  # written inline: the reference definitions are dropped below
            token.pop("label", None)
            attrs = token.setdefault("attrs", {})
            if not safe_url(attrs.get("url"), image=token["type"] == "image"):
                attrs["url"] = "#"
                unsafe += 1
        stack.extend(token.get("children") or [])
    if not unsafe:
        return text
    state.env["ref_links"] = {}
    return MarkdownRenderer()(tokens, state)


def clean_markdown(text: str) -> str:
    """Markdown with any HTML in it sanitised and only safe link destinations (plain markdown with safe links
    is left exactly as it was)."""
    if _TAG.search(text):
        text = clean_html(text)
    return safe_links(_JS_LINK.sub("](#", text))


def clean_output_metadata(output: dict) -> int:
    """Keep only numeric ``width`` and ``height`` in an output's metadata (nbconvert writes them into the
    page unquoted, so ``1 onerror=...`` would run as script). Returns how many entries were dropped."""
    meta = output.get("metadata")
    if not isinstance(meta, dict) or not meta:
        return 0

    def numeric(value) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    kept, dropped = {}, 0
    for key, value in meta.items():
        if isinstance(value, dict):
            sizes = {k: v for k, v in value.items() if k in ("width", "height") and numeric(v)}
            dropped += len(value) - len(sizes)
            if sizes:
                kept[key] = sizes
        elif key in ("width", "height") and numeric(value):
            kept[key] = value
        else:
            dropped += 1
    output["metadata"] = kept
    return dropped


def _clean_bundle(data: dict) -> int:
    changed = 0
    for key in list(data):
        value = data[key]
        text = "".join(value) if isinstance(value, list) else value
        if key in SCRIPT_TYPES or (key == "image/svg+xml" and isinstance(text, str) and _SVG_BAD.search(text)):
            del data[key]
            changed += 1
        elif key == "text/html" and isinstance(text, str):
            cleaned = clean_html(text)
            changed += cleaned != text
            data[key] = cleaned
        elif key == "text/markdown" and isinstance(text, str):
            cleaned = clean_markdown(text)
            changed += cleaned != text
            data[key] = cleaned
    if not data:
        data["text/plain"] = "[output removed by the grader: it could run script in the tutor's browser]"
    return changed


def clean_notebook(nb) -> int:
    """Sanitise a notebook in place; returns how many pieces were changed."""
    changed = 0
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") in ("markdown", "raw"):
            cleaned = clean_markdown(source)
            if cleaned != source:
                cell["source"] = cleaned
                changed += 1
            for bundle in (cell.get("attachments") or {}).values():
                changed += _clean_bundle(bundle)
        for out in cell.get("outputs", []):
            if isinstance(out.get("data"), dict):
                changed += _clean_bundle(out["data"])
            changed += clean_output_metadata(out)
    return changed


def _preprocessor():
    from nbgrader.preprocessors import NbGraderPreprocessor

    class SanitizeNotebook(NbGraderPreprocessor):
        """Sanitise learner HTML in the autograded notebook (see :func:`clean_notebook`)."""

        def preprocess(self, nb, resources):
            changed = clean_notebook(nb)
            if changed:
                self.log.warning("Removed script or unsafe HTML from %d places in the submission", changed)
            return nb, resources

    return SanitizeNotebook


_CACHE: dict = {}


def __getattr__(name: str):  # built on first use: nbgrader is slow to import
    if name == "SanitizeNotebook":
        return _CACHE.setdefault(name, _preprocessor())
    raise AttributeError(name)
