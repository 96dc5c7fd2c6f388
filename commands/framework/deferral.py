"""Actions others can see, carried out a random time later.

On IRC anyone can read how long each user has been idle (WHOIS), and a private message to
the bot resets it. If a member's private `pitch`, vote, signature or `say` took effect the
instant it arrived, an observer polling `ideas new` or `idea 12` (or just watching the
channel) would see the new idea, the count or the post change at that instant, and whoever's
idle time had just dropped would be its author. So when `[privacy] max_public_delay` is set,
a command whose effects others can see (``Command.later``) is checked at once and carried
out later, at a random moment up to that delay:

- `submit`: the command runs now inside a savepoint that is always rolled back, so the
  member hears at once if it can't be done ("There is no idea #7"); otherwise it is queued
  (an outbox row of kind ``command``, written in the same transaction) and the member is
  told when it will take effect. Actions about one idea or campaign keep their order.
- `carry_out`: when its moment comes, the command runs for real, for that member, in one
  transaction with everything it causes (counts, announcements, notices) and with the
  deletion of its queue row: it happens exactly once, and nothing stored (not even the row
  that queued it) keeps the moment the member acted. If it can no longer be done, or its
  reply is news (a new idea's number, the vote that launched a campaign), the member is
  told privately.
"""

from __future__ import annotations

import json
from typing import Any

from commands.framework import notices
from commands.framework.context import Ctx
from commands.framework.privacy import Privacy, show_delay
from commands.framework.registry import Command
from commands.framework.reply import CommandError, Reply
from storage.repos import outbox
from storage.vault import Vault

KIND = outbox.COMMAND
DONE_LATER = "done_later"
# The same, for a sealed command (a pledge): its row is forgotten once delivered
# (storage.repos.outbox.FORGOTTEN_ONCE_DONE), so it does not tie the member to it.
DONE_SEALED = "done_sealed"
# What a sealed command's row is sealed for (storage/vault.py).
SEALED = "later command"


async def submit(
    ctx: Ctx, command: Command, args: dict[str, Any], privacy: Privacy, *, admin: bool
) -> Reply:
    """Check ``command`` now and queue it; the member's answer. Raises CommandError."""
    trial = await ctx.conn.begin_nested()
    ctx.trial = True
    try:
        reply = await command.handler(ctx, **args)
    finally:
        ctx.trial = False
        await trial.rollback()
        ctx.pending.clear()  # what the trial queued goes with it
    if not reply.ok or reply.data.get("unchanged"):
        return reply
    stream = stream_of(args)
    at = ctx.now + privacy.draw()
    if stream is not None:
        # Never before an earlier action on the same idea or campaign: they keep their order.
        waiting = (await outbox.latest_waiting(ctx.conn, [stream])).get(stream)
        if waiting is not None and waiting > at:
            at = waiting
    member_id: int | None = ctx.member_id
    payload: dict[str, Any] = {"args": args, "admin": admin}
    if command.sealed:
        # Nothing in the row says whose it is until it is opened to be carried out.
        data = json.dumps({"member": member_id, **payload})
        member_id, payload = None, {"sealed": ctx.vault.seal(data, SEALED)}
    await outbox.add(
        ctx.conn,
        [
            {
                "kind": KIND,
                "space": None,
                "member_id": member_id,
                "event": command.name,
                "payload": payload,
                "stream": stream,
                "created_at": ctx.now,
                "available_at": at,
                "attempts": 0,
            }
        ],
    )
    assert command.later is not None
    text = (
        f"{command.later.format(**args)} within {show_delay(privacy.longest)}, at a random "
        f"moment, so its timing doesn't point to you."
    )
    if command.tell_after:
        text += " I'll tell you here when it's done."
    return Reply(text, data={"later": True})


async def carry_out(ctx: Ctx, command: Command, args: dict[str, Any]) -> Reply:
    """Run a queued command for its member (``ctx``); tell them what they should hear.

    A refusal now (the idea was hidden meanwhile) undoes only the command's own work."""
    attempt = await ctx.conn.begin_nested()
    ctx.carried_out = True
    try:
        reply = await command.handler(ctx, **args)
    except CommandError as exc:
        await attempt.rollback()
        ctx.pending.clear()
        reply = Reply.error(str(exc))
    else:
        await attempt.commit()
    if not reply.ok:
        asked = _asked(command, args)
        tell(
            ctx,
            f"What you asked earlier ({asked}) didn't go through: {reply.text}",
            sealed=command.sealed,
        )
    elif command.tell_after or reply.data.get("news"):
        tell(ctx, reply.text, sealed=command.sealed)
    return reply


def stream_of(args: dict[str, Any]) -> str | None:
    """The stream a command about an idea or campaign (its number) or an action
    (``action-N``) keeps its order in."""
    number = args.get("campaign") or args.get("idea")
    if number is not None:
        return str(number)
    action = args.get("action")
    return None if action is None else f"action-{action}"


def opened(vault: Vault, row: Any) -> tuple[int | None, dict[str, Any]]:
    """A queued row's member and payload (``args``, ``admin``), a sealed one opened."""
    sealed = row.payload.get("sealed")
    if sealed is None:
        return row.member_id, dict(row.payload)
    data = json.loads(vault.open(sealed, SEALED))
    return data.pop("member"), data


def tell(ctx: Ctx, text: str, *, sealed: bool = False) -> None:
    event = DONE_SEALED if sealed else DONE_LATER
    ctx.notify([ctx.member_id], event, text, notice=notices.PERSONAL)


def _asked(command: Command, args: dict[str, Any]) -> str:
    number = args.get("campaign") or args.get("idea") or args.get("action")
    return f"`{command.name}`" + (f" on #{number}" if number is not None else "")
