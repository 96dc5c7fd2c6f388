"""Who is editing on the web: one-time login links and the sessions they open.

A member asks for a link privately (`web`); it works once, within LINK_LIFETIME, and opens a
session in the browser that follows it. A session lasts at most SESSION_LIFETIME, ends after
IDLE_TIMEOUT without a request, and ends at once when the member signs out on the page or
sends `web logout`. Tokens are random (256 bits); the database keeps only their keyed
digests (storage/vault.py), so a copy of it opens no session. Each session's form token
(against cross-site requests) is derived from its own token, so it needs no storage and
ends with it.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repos import members, web_sessions
from storage.vault import Vault

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
# A session's last use is written at most this often, not at every page.
TOUCH_EVERY = timedelta(minutes=5)
# Tokens are hex: no chat platform reads a link made of them as markdown.
TOKEN_BYTES = 32


def _login_hash(vault: Vault, token: str) -> str:
    return vault.digest(f"web-login:{token}")


def _session_hash(vault: Vault, token: str) -> str:
    return vault.digest(f"web-session:{token}")


def form_token(vault: Vault, session_token: str) -> str:
    """The token every form of this session carries (checked on every POST)."""
    return vault.digest(f"web-form:{session_token}")


def form_token_matches(vault: Vault, session_token: str, sent: str) -> bool:
    return hmac.compare_digest(form_token(vault, session_token), sent)


async def issue_link(conn: AsyncConnection, vault: Vault, member_id: int, now: datetime) -> str:
    """A fresh login token for ``member_id`` (the only copy is the one returned)."""
    await web_sessions.drop_expired_logins(conn, now)
    token = secrets.token_hex(TOKEN_BYTES)
    await web_sessions.add_login(conn, _login_hash(vault, token), member_id, now + LINK_LIFETIME)
    return token


async def link_works(conn: AsyncConnection, vault: Vault, token: str, now: datetime) -> bool:
    """Whether a login token would open a session now (without using it up)."""
    return await web_sessions.login_member(conn, _login_hash(vault, token), now) is not None


async def open_session(
    conn: AsyncConnection, vault: Vault, token: str, now: datetime
) -> str | None:
    """Use a login token up and open a session; the session's token, or None when the link
    was used, expired, or its member is suspended."""
    member_id = await web_sessions.take_login(conn, _login_hash(vault, token), now)
    if member_id is None:
        return None
    member = await members.member_by_id(conn, member_id)
    if member is None or member.banned_at is not None:
        return None
    await web_sessions.drop_ended(conn, now, now - IDLE_TIMEOUT)
    session_token = secrets.token_hex(TOKEN_BYTES)
    await web_sessions.add_session(
        conn, _session_hash(vault, session_token), member_id, now, now + SESSION_LIFETIME
    )
    return session_token


async def member_of(
    conn: AsyncConnection, vault: Vault, session_token: str, now: datetime
) -> tuple[sa.Row | None, bool]:
    """The member a session belongs to while it lasts and they are in good standing (None
    otherwise), and whether its last use is old enough to be written again (`keep_alive`).
    Only reads."""
    row = await web_sessions.session(conn, _session_hash(vault, session_token))
    if row is None or row.expires_at <= now or row.seen_at <= now - IDLE_TIMEOUT:
        return None, False
    member = await members.member_by_id(conn, row.member_id)
    if member is None or member.banned_at is not None:
        return None, False
    return member, now - row.seen_at >= TOUCH_EVERY


async def keep_alive(
    conn: AsyncConnection, vault: Vault, session_token: str, now: datetime
) -> None:
    await web_sessions.touch(conn, _session_hash(vault, session_token), now)


async def end(conn: AsyncConnection, vault: Vault, session_token: str) -> None:
    await web_sessions.end(conn, _session_hash(vault, session_token))


async def end_all(conn: AsyncConnection, member_id: int) -> int:
    """End every session of a member and forget their unused links; how many sessions."""
    return await web_sessions.end_all(conn, member_id)
