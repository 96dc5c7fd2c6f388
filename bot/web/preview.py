"""Markdown as HTML for the editor's preview: CommonMark with tables and strikethrough, raw
HTML off, and the result cleaned by nh3 all the same (member text is hostile text)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render(text: str) -> str:
    return nh3.clean(_MARKDOWN.render(text), link_rel="nofollow noopener noreferrer")
