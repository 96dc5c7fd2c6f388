"""Campaign documents as HTML: Markdown rendered by markdown-it-py, then cleaned by nh3.

One renderer for every page that shows a document (the document page, and the editor's
preview), so a document reads the same wherever it is shown. Member text is hostile until
proven otherwise: raw HTML is never passed through (markdown-it shows it as text), images
become plain links (this site loads nothing from elsewhere), and nh3 keeps only the tags
below and links to http, https and mailto, each with ``rel="nofollow noopener"``.

Headings move one level down (the page's own title is the only ``h1``) and get ids made from
their text, so a link to ``#our-demands`` keeps working across revisions; the table of
contents lists them. The rendering of a text never changes, so it is cached by the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

HEADINGS = ("h2", "h3", "h4", "h5", "h6")
TAGS = {
    *HEADINGS,
    "p",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "s",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, **{h: {"id"} for h in HEADINGS}}
SCHEMES = {"http", "https", "mailto"}
# Ids the pages themselves use: a heading never takes one.
RESERVED_IDS = frozenset({"main", "contents", "document", "history"})


@dataclass(frozen=True)
class Heading:
    level: int  # 2..6, as shown
    text: str
    id: str


@dataclass(frozen=True)
class Rendered:
    html: str  # clean: safe to put in a page as it is
    toc: tuple[Heading, ...]


def _image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src") or ""))
    alt = escapeHtml(_text(token.children or [])) or src
    return f'<a href="{src}">image: {alt}</a>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    return md


_MD = _parser()


def _text(children: Sequence[Token]) -> str:
    """What a heading (or image description) says, without its Markdown."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.children:
            parts.append(_text(child.children))
    return "".join(parts)


_NOT_IN_ID = re.compile(r"[^\w\- ]+")


def slug(text: str) -> str:
    words = _NOT_IN_ID.sub("", text.lower()).split()
    return "-".join(words) or "section"


@lru_cache(maxsize=256)
def render(text: str) -> Rendered:
    """A document's Markdown as clean HTML with its table of contents."""
    tokens = _MD.parse(text)
    toc = []
    used = set(RESERVED_IDS)
    for i, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        level = min(6, int(token.tag[1]) + 1)
        token.tag = f"h{level}"
        if token.type == "heading_open":
            shown = _text(tokens[i + 1].children or [])
            base = slug(shown)
            anchor, n = base, 1
            while anchor in used:
                n += 1
                anchor = f"{base}-{n}"
            used.add(anchor)
            token.attrSet("id", anchor)
            toc.append(Heading(level, shown, anchor))
    html = _MD.renderer.render(tokens, _MD.options, {})
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return Rendered(clean, tuple(toc))
