"""axe-core, the accessibility engine, finds nothing serious or critical on any page
(contrast, labels, landmarks, names of links, language, ...), run in chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.web.reading.conftest import MISSING, PAGES, Story

AXE = Path(__file__).parent.parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture
async def audit_page(browser: Browser) -> AsyncIterator[Page]:
    """A page that lets the test inject axe: the site's CSP allows no script at all."""
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    yield page
    await context.close()


async def test_axe_finds_no_serious_problem_on_any_page(story: Story, audit_page: Page) -> None:
    axe = AXE.read_text(encoding="utf-8")
    for path in (*PAGES, *MISSING):
        await audit_page.goto(story.web.url + path)
        await audit_page.add_script_tag(content=axe)
        results = await audit_page.evaluate("() => axe.run(document)")
        assert results["passes"], path  # it did look
        found = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert found == [], (path, found)
