"""Hostile text in a campaign's document renders inert: no script, no frame, no raw HTML,
no event handler and no link anywhere but http, https and mailto, whatever a member types
(Markdown or raw HTML, plain, upper-case or entity-encoded)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from playwright.async_api import Dialog, Page

from bot.web.markdown import SCHEMES, TAGS, render
from commands.framework.rules import Rules
from tests.web.conftest import Web

HOSTILE = (
    "<script>alert(1)</script>",
    '<iframe src="https://evil.example/frame"></iframe>',
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<style>body { display: none }</style>",
    '<a href="javascript:alert(1)" onclick="alert(1)">raw link</a>',
    '<div onmouseover="alert(1)">raw div</div>',
    "<!-- a comment --> <object data='x.swf'></object>",
    "[plain](javascript:alert(1))",
    "[upper](JaVaScRiPt:alert(1))",
    "[encoded](jav&#x61;script:alert(1))",
    "[colon](javascript&colon;alert(1))",
    "[spaced]( javascript:alert(1) )",
    "<javascript:alert(1)>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    "[file](file:///etc/passwd)",
    "![pixel](https://evil.example/track.png)",
    "![inline](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![js](javascript:alert(1))",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    '# "><script>alert(1)</script> heading',
    "`<script>alert(1)</script>` in code",
    "```\n<script>alert(1)</script>\n```",
    "[fine](https://example.org/ok) and <mailto:organizers@example.org>",
)


class Seen(HTMLParser):
    """Every tag and attribute in a piece of HTML, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_comment(self, data: str) -> None:
        self.tags.add("<!--")


def assert_inert(html: str) -> None:
    seen = Seen()
    seen.feed(html)
    assert seen.tags <= TAGS, seen.tags - TAGS
    for tag, name, value in seen.attributes:
        assert not name.startswith("on"), (tag, name)
        assert name in ("href", "rel", "id", "title", "start"), (tag, name)
        if name == "href":
            scheme = value.split(":", 1)[0].lower() if ":" in value.split("/", 1)[0] else ""
            assert scheme in SCHEMES or scheme == "", value


@pytest.mark.parametrize("text", HOSTILE)
def test_each_hostile_text_renders_inert(text: str) -> None:
    assert_inert(render(text).html)


def test_only_the_wanted_links_survive() -> None:
    html = render("\n\n".join(HOSTILE)).html
    seen = Seen()
    seen.feed(html)
    hrefs = [value for tag, name, value in seen.attributes if name == "href"]
    assert hrefs == [
        "https://evil.example/track.png",  # the image, as a plain link: nothing loads
        "https://example.org/ok",
        "mailto:organizers@example.org",
    ]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=1)


async def test_a_hostile_document_is_inert_in_the_browser(web: Web, page: Page) -> None:
    chat = web.chat
    for person in ("mallory", "bob"):
        await chat.join(person)
    await chat.dm("mallory", "pitch Hostile documents stay inert")
    assert "campaign" in await chat.dm("bob", "upvote 1")
    assert "revision 1" in await chat.dm("mallory", "doc 1 edit # Our plan")
    rev = 1
    for line in HOSTILE:
        if "\n" in line:
            continue  # a chat line is one line: the multi-line ones are checked above
        rev += 1
        assert f"revision {rev}" in await chat.dm("mallory", f"doc 1 append {line}")

    dialogs: list[str] = []

    async def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    status, body, _ = await web.get("/campaigns/1/document")
    assert status == 200
    document = body.split('<article aria-label="The document" class="document">', 1)[1]
    assert_inert(document.split("</article>", 1)[0])
    for path in (
        "/campaigns/1/document",
        "/campaigns/1/document/diff/2",
        f"/campaigns/1/document/diff/{rev}",
    ):
        await page.goto(web.url + path)
        main = page.get_by_role("main")
        assert await main.locator("script, iframe, img, svg, style, object, div").count() == 0
        assert await main.locator("[onclick], [onerror], [onload], [onmouseover]").count() == 0
        for href in await main.locator("a").evaluate_all("links => links.map(a => a.href)"):
            assert href.split(":", 1)[0] in ("http", "https", "mailto"), href
    await page.goto(web.url + "/campaigns/1/document")
    assert "<script>alert(1)</script>" in await page.get_by_role("main").inner_text()
    assert dialogs == []
