"""Deadlines on a campaign's discussion and petition: a moderator sets one, followers are
reminded ahead, and at the deadline the discussion takes no more `say` and the petition no
more `sign` or `unsign`, its final count announced once."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.momentum.conftest import MONDAY, MomentumChat, SmtpServer


async def campaign_of(chat: MomentumChat) -> int:
    """alice pitches, bob and carol upvote: campaign #1, organized by alice, followed by all."""
    for person in ("admin", "alice", "bob", "carol"):
        await chat.join(person)
    campaign = await chat.launch("alice", "bob", "carol")
    await chat.deliver()
    return campaign


async def test_a_discussion_ends_at_its_deadline(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    n = await campaign_of(chat)
    assert "CET" in await chat.dm("bob", "timezone Europe/Berlin")
    assert "Only moderators" in await chat.dm("alice", "mod deadline 1 discussion in 3d")
    refused = await chat.dm("admin", "mod deadline 1 discussion 2020-01-01")
    assert "2020-01-01 24:00 UTC has passed" in refused
    assert "no deadline" in await chat.dm("admin", "mod deadline 1 discussion")

    reply = await chat.dm("admin", f"mod deadline {n} discussion in 3d")
    assert "The discussion of campaign #1 ends 2026-11-26 14:00 UTC (in 3 days)" in reply
    assert "no more messages (`say`)" in reply and "reminded 24 hours before" in reply
    await chat.deliver()
    # The public hears it in the configured zone, bob in his own.
    assert "it ends 2026-11-26 14:00 UTC" in chat.announcements[-1]
    assert "ends 2026-11-26 15:00 CET" in chat.last_dm("bob")
    shown = await chat.dm("carol", "campaign 1")
    assert "Discussion: open until 2026-11-26 14:00 UTC — `say 1 ...`." in shown
    assert "Said in campaign #1" in await chat.dm("bob", "say 1 Shall we agree on the letter?")

    clock.move_to(MONDAY + timedelta(days=2, minutes=1))  # a day before
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    reminders = [d for d in chat.dms_of("carol") if d.startswith("Reminder: the discussion")]
    assert len(reminders) == 1 and "ends in 24 hours (2026-11-26 14:00 UTC)" in reminders[0]
    assert "Said in campaign #1" in await chat.dm("carol", "say 1 Yes: the letter as drafted.")

    clock.move_to(MONDAY + timedelta(days=3, minutes=1))
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    ended = [a for a in chat.announcements if "ended at its deadline" in a]
    assert ended == [
        "The discussion of campaign #1 ended at its deadline, 2026-11-26 14:00 UTC: "
        "Fair pay for surveys"
    ]
    assert [d for d in chat.dms_of("bob") if "ended at its deadline" in d] == [
        "The discussion of campaign #1 ended at its deadline, 2026-11-26 15:00 CET: "
        "Fair pay for surveys"
    ]
    late = await chat.dm("bob", "say 1 One more thing")
    assert "The discussion of campaign #1 ended at its deadline, 2026-11-26 15:00 CET" in late
    assert "no more messages" in late
    assert "Discussion: ended 2026-11-26 14:00 UTC, at its deadline." in await chat.dm(
        "carol", "campaign 1"
    )
    assert "ended 2026-11-26 14:00 UTC, at its deadline" in await chat.dm(
        "admin", "mod deadline 1 discussion"
    )


async def test_the_weekly_update_and_the_daily_digest_tell_of_coming_campaign_deadlines(
    momentum: MomentumChat, smtp: SmtpServer, clock: time_machine.Traveller
) -> None:
    chat = momentum
    await campaign_of(chat)
    await chat.verify("bob", smtp.inbox, "bob@example.org")
    await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")
    await chat.dm("admin", "mod deadline 1 discussion in 30h")  # tue 20:00 UTC
    await chat.dm("admin", "mod deadline 1 petition in 5d")  # sat 14:00 UTC
    await chat.settle()

    clock.move_to(MONDAY + timedelta(hours=1, seconds=5))  # the weekly update, mon 15:00
    await chat.settle()
    (post,) = [a for a in chat.announcements if a.startswith("Weekly update (2026-W48)")]
    assert (
        "The discussion of campaign #1 ends 2026-11-24 20:00 UTC (`say 1 ...` before then)." in post
    )
    assert "The petition of campaign #1 takes signatures until 2026-11-28 14:00 UTC" in post
    (mail,) = smtp.inbox.about("weekly update")
    assert (
        "Deadline: the petition of campaign #1 takes signatures until 2026-11-28 14:00 UTC "
        "(`sign 1`): Fair pay for surveys" in mail.part("plain")
    )
    assert "The discussion of campaign #1 ends 2026-11-24 20:00 UTC" in mail.part("html")

    clock.move_to(MONDAY + timedelta(hours=3, seconds=5))  # the daily digest, 17:00
    await chat.settle()
    (digest,) = [a for a in chat.announcements if a.startswith("Daily digest, 2026-11-23")]
    # Two days ahead: the discussion's end is in it, the petition's (in five) not yet.
    assert "Deadline: the discussion of campaign #1 ends 2026-11-24 20:00 UTC" in digest
    assert "petition of campaign #1" not in digest


async def test_a_petition_closes_at_its_deadline_with_its_final_count(
    momentum: MomentumChat, clock: time_machine.Traveller
) -> None:
    chat = momentum
    n = await campaign_of(chat)
    await chat.join("dave")
    assert "has no petition yet" in await chat.dm("admin", f"mod deadline {n} petition in 2h")
    await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")
    await chat.dm("bob", "sign 1")
    await chat.dm("carol", "sign 1 researcher")
    reply = await chat.dm("admin", "mod deadline 1 petition in 2h")
    assert "The petition of campaign #1 ends 2026-11-23 16:00 UTC (in 2 hours)" in reply
    await chat.deliver()
    assert "takes signatures until 2026-11-23 16:00 UTC (`sign 1`)" in chat.announcements[-1]
    shown = await chat.dm("dave", "campaign 1")
    assert "sign it privately until 2026-11-23 16:00 UTC: `sign 1`" in shown
    assert "its petition ends 2026-11-23 16:00 UTC" in await chat.dm("admin", "mod deadline 1")

    clock.move_to(MONDAY + timedelta(hours=2, minutes=1))
    await chat.settle()
    clock.shift(timedelta(hours=1))
    await chat.settle()
    # Set two hours ahead, the announcement was the reminder: no other one.
    assert not any(d.startswith("Reminder") for d in chat.dms_of("bob"))
    final = [a for a in chat.announcements if "closed at its deadline" in a]
    assert final == [
        "The petition of campaign #1 closed at its deadline, 2026-11-23 16:00 UTC, with "
        "2 signatures (1 researcher, 1 worker): We ask requesters to pay the minimum wage."
    ]
    assert any("closed at its deadline" in d for d in chat.dms_of("alice"))

    assert "closed at its deadline, 2026-11-23 16:00 UTC" in await chat.dm("dave", "sign 1")
    refused = await chat.dm("bob", "unsign 1")
    assert "signatures can no longer be added or taken off" in refused
    assert "statement stays as it was signed" in await chat.dm("alice", "petition 1 New words")
    shown = await chat.dm("dave", "campaign 1")
    assert "2 signatures (1 researcher, 1 worker); closed at its deadline" in shown
    assert "Signed" not in shown

    # The moderators open it again.
    lifted = await chat.dm("admin", "mod deadline 1 petition off")
    assert "lifted; it takes signatures (`sign`, `unsign`) again" in lifted
    await chat.deliver()
    assert "The petition of campaign #1 is open again, with no deadline" in chat.announcements[-1]
    assert "It has 3 signatures" in await chat.dm("dave", "sign 1")


async def test_deadlines_on_campaigns_are_refused_where_they_cannot_hold(
    momentum: MomentumChat,
) -> None:
    chat = momentum
    n = await campaign_of(chat)
    await chat.dm("alice", "pitch Longer breaks")  # idea 2, still an idea
    assert "still an idea" in await chat.dm("admin", "mod deadline 2 discussion in 3d")
    instead = await chat.dm("admin", f"mod deadline {n} in 3d")
    assert "a campaign already" in instead
    assert "`mod deadline 1 discussion in 3d`" in instead
    typo = await chat.dm("admin", f"mod deadline {n} petitions in 3d")
    assert "`mod deadline 1 petition WHEN`" in typo
    assert "no deadline" in await chat.dm("admin", "mod deadline 1")
    assert "not a date or duration" in await chat.dm("admin", "mod deadline 1 discussion soon")
    await chat.dm("admin", "mod deadline 1 discussion in 3d")
    assert "is lifted." in await chat.dm("admin", "mod deadline 1 discussion off")
    assert "had no deadline" in await chat.dm("admin", "mod deadline 1 discussion off")
    assert "is closed" in await chat.dm("admin", "mod close 1")
    refused = await chat.dm("admin", "mod deadline 1 discussion in 3d")
    assert "Campaign #1 is closed; its discussion and petition ended with it." in refused
    # Ideas keep their deadlines as before.
    assert "must launch by" in await chat.dm("admin", "mod deadline 2 in 3d")
