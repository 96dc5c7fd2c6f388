"""`notify dm|email|both|digest|off` and `timezone`: where notices go and how times read."""

from __future__ import annotations

import pytest

from commands.framework import notices
from tests.momentum.conftest import MomentumChat, SmtpServer


@pytest.mark.parametrize(
    ("preference", "has_email", "notice", "expected"),
    [
        ("dm", False, notices.FOLLOWING, ("dm",)),
        ("email", True, notices.FOLLOWING, ("email",)),
        ("email", False, notices.FOLLOWING, ("dm",)),  # no address yet: DM instead
        ("both", True, notices.FOLLOWING, ("dm", "email")),
        ("both", False, notices.FOLLOWING, ("dm",)),
        ("digest", True, notices.FOLLOWING, ("digest",)),
        ("off", True, notices.FOLLOWING, ()),
        ("off", False, notices.PERSONAL, ("dm",)),
        ("digest", False, notices.PERSONAL, ("dm",)),
        ("dm", True, notices.DIGEST, ()),
        ("digest", True, notices.DIGEST, ("digest",)),
        ("dm", True, notices.WEEKLY, ()),
        ("both", False, notices.WEEKLY, ("dm",)),
    ],
)
def test_routes(preference: str, has_email: bool, notice: str, expected: tuple[str, ...]) -> None:
    assert notices.routes(preference, has_email, notice) == expected


async def test_each_preference_on_a_launch_and_a_petition_milestone(
    momentum: MomentumChat, smtp: SmtpServer
) -> None:
    chat = momentum
    people = ("dee", "em", "bo", "di", "of")
    for person in ("alice", *people):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay for surveys")
    for person in people:
        await chat.dm(person, "subscribe 1")
    for person in ("em", "bo"):
        await chat.verify(person, smtp.inbox, f"{person}@example.org")
    assert "by private message" in await chat.dm("dee", "notify")
    assert "by email" in await chat.dm("em", "notify email")
    assert "message and by email" in await chat.dm("bo", "notify both")
    digest = await chat.dm("di", "notify digest")
    assert "daily digest" in digest and "17:00 UTC" in digest
    assert "not at all" in await chat.dm("of", "notify off")
    assert "no working email" in await chat.dm("of", "notify email")
    await chat.dm("of", "notify off")

    await chat.dm("dee", "upvote 1")
    await chat.dm("of", "upvote 1")  # launches it
    await chat.settle()
    launched = "Idea #1, which you follow, is now a campaign"
    assert any(launched in d for d in chat.dms_of("dee"))
    emailed = sorted(r.to for r in smtp.inbox.about("is now a campaign"))
    assert emailed == ["bo@example.org", "em@example.org"]
    assert any(launched in d for d in chat.dms_of("bo"))
    for person in ("em", "di", "of"):
        assert not any(launched in d for d in chat.dms_of(person)), person
    mail = smtp.inbox.about("is now a campaign")[0]
    assert "notify dm" in mail.part("plain") and mail.message["List-Unsubscribe"]

    # Document edits only ever reach the digest.
    await chat.dm("alice", "doc 1 edit Our demands")
    await chat.settle()
    for person in people:
        assert not any("new revision" in d for d in chat.dms_of(person))
    assert not smtp.inbox.about("new revision")


async def test_petition_milestones_are_told_once(momentum: MomentumChat) -> None:
    chat = momentum
    for person in ("alice", "bob", "carol"):
        await chat.join(person)
    await chat.launch("alice", "bob", "carol")
    await chat.dm("alice", "petition 1 Pay for qualification tests.")
    signers = [f"s{i}" for i in range(10)]
    for person in signers:
        await chat.join(person)
        await chat.dm(person, "sign 1")
    await chat.dm("s9", "unsign 1")
    await chat.dm("s9", "sign 1")
    await chat.deliver()
    told = [d for d in chat.dms_of("bob") if "passed 10 signatures" in d]
    assert len(told) == 1
    assert not any("passed 10" in d for d in chat.dms_of("s9"))  # the signer got the reply


async def test_times_read_in_each_members_zone(momentum: MomentumChat) -> None:
    chat = momentum
    await chat.join("admin")
    await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch Longer breaks")
    await chat.dm("bob", "subscribe 1")
    assert "not a time zone I know" in await chat.dm("bob", "timezone Mars/Olympus")
    assert "CET" in await chat.dm("bob", "timezone europe/berlin")  # any case will do
    assert "UTC" in await chat.dm("alice", "timezone utc")
    reply = await chat.dm("admin", "mod deadline 1 2026-12-01 18:00")
    assert "2026-12-01 18:00 UTC" in reply
    await chat.deliver()
    assert "2026-12-01 19:00 CET" in chat.last_dm("bob")
    assert "2026-12-01 18:00 UTC" in chat.announcements[-1]
    assert "UTC" in await chat.dm("bob", "timezone reset")
    assert "in UTC, the default" in await chat.dm("bob", "timezone")
