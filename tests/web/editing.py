"""What the editor tests share: a clock the test moves, the App serving the pages on it,
and a member's session driven by plain HTTP (the browser tests use chromium instead)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp

from bot.config import AdminSettings, Config
from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from commands.framework.privacy import NO_DELAY, Privacy
from commands.framework.rules import Rules
from storage.db import Database
from tests.harness import ConsoleChat
from tests.web.conftest import Web

LINK = re.compile(r"(https?://\S+)/login/([0-9a-f]{64})")
FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]+)"')
BASE = re.compile(r'name="base" value="([0-9]+)"')
DOCUMENT = "# Demands\nPay for qualification tests.\n\n# Timeline\nBy March.\n"


class Clock:
    """The App's clock: time moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def move(self, delta: timedelta) -> None:
        self.now += delta


async def serve(
    db: Database,
    clock: Clock,
    *,
    rules: Rules | None = None,
    privacy: Privacy = NO_DELAY,
    settings: WebSettings | None = None,
) -> AsyncIterator[Web]:
    config = Config(
        rules=rules or Rules(launch_upvotes=2),
        privacy=privacy,
        web=settings or WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org"),
        admins=AdminSettings(identities=("console:mona",)),
    )
    chat = ConsoleChat(db, config, clock=clock)
    chat.app.web = web_server(chat.app)
    await chat.start()
    assert chat.app.web.port is not None
    async with aiohttp.ClientSession() as http:
        yield Web(chat, f"http://127.0.0.1:{chat.app.web.port}", http)
    await chat.stop()


async def campaign_one(web: Web) -> None:
    """alice pitches, bob and carol upvote: campaign #1."""
    for person in ("alice", "bob", "carol"):
        await web.chat.join(person)
    await web.chat.dm("alice", "pitch Pay for qualification tests")
    await web.chat.dm("bob", "upvote 1")
    await web.chat.dm("carol", "upvote 1")


async def login_link(web: Web, person: str) -> str:
    """The path of the link ``person`` gets by sending `web` privately."""
    reply = await web.chat.dm(person, "web")
    found = LINK.search(reply)
    assert found, reply
    assert found.group(1) == "https://dynamo.example.org"
    return f"/login/{found.group(2)}"


@dataclasses.dataclass
class Editing:
    """One member's session, as a browser without script would use it."""

    web: Web
    cookie: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"dynamo_session={self.cookie}"}

    async def get(self, path: str) -> tuple[int, str]:
        async with self.web.http.get(
            self.web.url + path, headers=self.headers, allow_redirects=False
        ) as response:
            return response.status, await response.text()

    async def post(
        self, path: str, fields: dict[str, str], *, origin: str | None = "same"
    ) -> tuple[int, str]:
        headers = dict(self.headers)
        if origin is not None:
            headers["Origin"] = self.web.url if origin == "same" else origin
        async with self.web.http.post(
            self.web.url + path, data=fields, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await response.text()

    async def form(self, path: str) -> dict[str, str]:
        """The hidden fields of the first form on a page."""
        status, body = await self.get(path)
        assert status == 200, body
        token, base = FORM_TOKEN.search(body), BASE.search(body)
        assert token and base, body
        return {"form_token": token.group(1), "base": base.group(1)}

    async def save(self, campaign: int, text: str, scope: str = "all") -> tuple[int, str]:
        path = f"/campaigns/{campaign}/document/edit"
        fields = await self.form(path)
        return await self.post(path, {**fields, "scope": scope, "text": text, "do": "save"})


async def sign_in(web: Web, person: str) -> Editing:
    path = await login_link(web, person)
    async with web.http.post(
        web.url + path, headers={"Origin": web.url}, allow_redirects=False
    ) as response:
        assert response.status == 303, await response.text()
        cookie = response.cookies["dynamo_session"]
        return Editing(web, cookie.value)
