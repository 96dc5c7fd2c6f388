"""Names members choose to show (``reveal NAME``, ``sign N as "NAME"``): never a disguise.

A shown name stands beside a pseudonym or among a petition's signers, so it must not pass
for someone else or for the bot: it may not be or contain a pseudonym (any member's, or any
``adjective_animal`` the bot could hand out), the bot's name on any platform or ``dynamo``,
and may not hold characters that make text look like markup, a mention or a channel.
Invisible and control characters are refused before this (see commands.framework.invoker).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from commands import pseudonyms
from commands.framework.context import Ctx
from commands.framework.reply import CommandError
from storage.repos import members

# Mention, channel, IRC nick brackets, Discord markup and the "name: text" shape of a line.
FORBIDDEN = "<>@#:`"
_WORDS = re.compile(r"[a-z]+")


def squashed(text: str) -> str:
    """Lower case, compatibility forms folded, only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _looks_like_a_pseudonym(name: str) -> bool:
    words = _WORDS.findall(unicodedata.normalize("NFKC", name).casefold())
    adjectives = set(pseudonyms.words("adjectives"))
    animals = set(pseudonyms.words("animals"))
    return any(
        first in adjectives and second in animals for first, second in itertools.pairwise(words)
    )


async def check(ctx: Ctx, name: str, example: str, limit: int | None) -> str:
    """The name, if a member may show it; else a CommandError that says why. ``limit`` is
    the declared one of the command's name parameter (``Param.limit``)."""
    return await check_in(ctx.conn, ctx.reserved_names, name, example, limit)


async def check_in(
    conn: AsyncConnection, reserved_names: Iterable[str], name: str, example: str, limit: int | None
) -> str:
    """`check` where there is no member (a signature from the public pages)."""
    name = name.strip().strip('"').strip()
    if not name:
        raise CommandError(f"The name is empty. For example: `{example}`")
    if limit is not None and len(name) > limit:
        raise CommandError(
            f"That name is {len(name)} characters; the limit is {limit}. Please shorten it."
        )
    bad = sorted({ch for ch in name if ch in FORBIDDEN})
    if bad:
        shown = ", ".join("a backtick" if ch == "`" else f"`{ch}`" for ch in bad)
        raise CommandError(
            f"A shown name can't contain {shown}: it could make the name look like a mention, "
            f"a channel, the bot or someone speaking. Please choose a name without "
            f"{'it' if len(bad) == 1 else 'them'}, for example `{example}`."
        )
    flat = squashed(name)
    for reserved in reserved_names:
        if squashed(reserved) and squashed(reserved) in flat:
            raise CommandError(
                "A shown name can't contain the bot's name: it could pass for a message from "
                "the bot. Please choose another."
            )
    if _looks_like_a_pseudonym(name) or await members.pseudonym_within(conn, flat):
        raise CommandError(
            "A shown name can't be or contain a pseudonym (adjective_animal): it could pass "
            "for another member. Please choose a name of your own."
        )
    return name
