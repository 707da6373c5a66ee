"""Reading a reflection's text: from a markdown answer to its prose, its sentences and its word count.

The markdown is parsed by mistune (its syntax tree, not regular expressions): each paragraph, list item and
table cell is a block of prose; headings, code, images, raw HTML tags, link addresses and nbgrader's
solution markers are left out (the words inside an HTML block are kept, without the tags, as JupyterLab
shows them). Part of :mod:`syslead.learner.reflection`.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

#: The stub nbgrader puts in an unanswered reflection cell (``nbgrader_config.py``), without markup.
STUB = "Write your reflection here"

_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|cf|mr|mrs|ms|dr|prof|approx|no|fig)\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[^\s])")
_LEADING_EMOJI = re.compile(r"(?:[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+\s*)+")
_URL = re.compile(r"https?://\S+")
_LOOSE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")  # a link mistune leaves as text ("[a](b c)")
_SOLUTION = re.compile(r"^\s*#{1,6}\s*(BEGIN|END) SOLUTION\s*$", re.MULTILINE)
_LONGEST = 60  # words: a longer run without a full stop is read in pieces of this size


@lru_cache(maxsize=1)
def _parser():
    import mistune

    return mistune.create_markdown(renderer=None, plugins=["strikethrough", "table"])


def _html_text(raw: str) -> str:
    """The words of a piece of HTML, without its tags (a script's or style's content is dropped)."""
    import nh3

    return html.unescape(nh3.clean(raw, tags=set()))


def _inline(children) -> str:
    out = []
    for node in children or ():
        kind = node.get("type")
        if kind in ("text", "codespan"):
            out.append(node.get("raw", ""))
        elif kind in ("softbreak", "linebreak"):
            out.append(" ")
        elif kind == "inline_html":
            out.append(" ")
        elif kind == "image":
            continue
        else:  # emphasis, strong, strikethrough, link: their words, without the markup or the address
            out.append(_inline(node.get("children")))
    return "".join(out)


def _blocks(nodes, out: list[str]) -> None:
    for node in nodes or ():
        kind = node.get("type")
        if kind in ("paragraph", "block_text", "table_cell"):
            out.append(_inline(node.get("children")))
        elif kind == "block_html":
            out.append(_html_text(node.get("raw", "")))
        elif kind in ("heading", "block_code", "thematic_break", "blank_line"):
            continue  # a heading names a part; it is not part of the reflection itself
        else:  # list, list_item, block_quote, table, table_head, table_body, table_row
            _blocks(node.get("children"), out)


def _link_words(match: re.Match) -> str:
    return " " if match.group().startswith("!") else match.group(1)


def strip_markdown(text: str) -> list[str]:
    """The prose blocks of a markdown text: paragraphs, list items and table cells, without markup."""
    text = _SOLUTION.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    blocks: list[str] = []
    _blocks(_parser()(text), blocks)
    cleaned = []
    for block in blocks:
        block = re.sub(r"\s+", " ", _URL.sub(" ", _LOOSE_LINK.sub(_link_words, block))).strip()
        if block:
            cleaned.append(block)
    return cleaned


def split_sentences(text: str) -> list[str]:
    """The sentences of a markdown text, in order (long runs without full stops are cut into pieces)."""
    sentences: list[str] = []
    for block in strip_markdown(text):
        protected = _ABBREVIATIONS.sub(lambda m: m.group().replace(".", "\0"), block)
        for piece in _SENTENCE_END.split(protected):
            piece = piece.replace("\0", ".").strip()
            lead = _LEADING_EMOJI.match(piece)
            if lead and sentences and lead.end() < len(piece):  # "Done. 🎉 Then..." : the 🎉 ends "Done."
                sentences[-1] += " " + lead.group().strip()
                piece = piece[lead.end() :]
            if not piece:
                continue
            if sentences and not _WORDS.search(piece):  # an emoji or a lone mark belongs to the sentence before
                sentences[-1] += " " + piece
                continue
            words = piece.split(" ")
            for start in range(0, len(words), _LONGEST):
                sentences.append(" ".join(words[start : start + _LONGEST]))
    return sentences


def word_count(text: str) -> int:
    """Words in the text's prose (markup, code and headings left out)."""
    return sum(len(_WORDS.findall(block)) for block in strip_markdown(text))


def count_words(sentences: list[str]) -> int:
    """Words in sentences already read from a text."""
    return sum(len(_WORDS.findall(s)) for s in sentences)


#: Function words: never quoted on their own as the signal of a stage (the cue file's tests use it too).
FUNCTION_WORDS = frozenset(
    "a about after all am an and are as at be been being but by can could did do does for from had has have "
    "he her him his i if in into is it its me my myself no not of on or our she should so than that the "
    "their them then there these they this those to too us was we were what when which who why will with "
    "would you your i'm i'll i've it's".split()
)

_ENGLISH = frozenset(
    "a about after all also am an and are as at be because been before but by can could did do does "
    "don't for from had has have he her him his how i i'm if in into is it it's its just me more my no "
    "not of on or our out she should so some than that the their them then there they this to too up us "
    "very was we were what when which who why will with would you your".split()
)


def reads_as_english(text: str) -> bool:
    """Whether the text looks English: mostly Latin letters and enough common English words."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    latin = sum(ch.isascii() for ch in letters) / len(letters)
    if latin < 0.5:
        return False
    words = [w.lower().replace("’", "'") for w in _WORDS.findall(text)]
    if len(words) < 4:
        return True
    return sum(w in _ENGLISH for w in words) / len(words) >= 0.12
