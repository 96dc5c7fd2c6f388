"""Quintessa, who pitched the campaign, showed a name, edited its document, wrote its
update and proposed its next step, leaves. Afterwards no page, feed or export, and no text
or JSON value in the database, holds her pseudonym, her shown name, her address or her
account's key; her work is still there, under "former member"."""

from __future__ import annotations

import re

from tests.test_leave_erases import dump
from tests.web.reading.conftest import ADDRESSES, MISSING, PAGES, Story

EXPORTS = tuple(f"/campaigns/1/export.{fmt}" for fmt in ("md", "html", "csv"))


async def test_after_leaving_no_page_export_or_row_names_her(story: Story) -> None:
    chat, web = story.chat, story.web
    quintessa = story.names["quintessa"]
    before = (await web.get("/campaigns/1/document/history"))[1]
    assert quintessa in before
    asked = await chat.dm("quintessa", "leave")
    confirm = re.search(r"`(leave keep [0-9a-f]{8})`", asked)
    assert confirm, asked
    assert "You have left" in await chat.dm("quintessa", confirm.group(1))
    await chat.settle()

    gone = [quintessa, "Kristy M.", ADDRESSES["quintessa"], "console:quintessa"]
    bodies = {}
    for path in (*PAGES, *MISSING, *EXPORTS, "/feed.atom"):
        status, body, _ = await web.get(path)
        assert status == (404 if path in MISSING else 200), path
        bodies[path] = body
    for path, body in bodies.items():
        for trace in gone:
            assert trace.lower() not in body.lower(), (path, trace)
    # Her idea, document revisions and update are still there, as a former member's.
    assert "Fair pay for surveys" in bodies["/ideas/1"]
    assert "former member" in bodies["/ideas/1"]
    assert "former member" in bodies["/campaigns/1/document/history"]
    assert "Our demands" in bodies["/campaigns/1/document"]
    everything = await dump(chat.app.db)
    assert [t for t in gone if t.lower() in everything.lower()] == []
