"""The public pages, served by the real aiohttp server of a running App on a free loopback
port, read with an HTTP client and in Debian's chromium (driven by Playwright)."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.config import Config
from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from tests.harness import ConsoleChat

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless, and nothing that reaches outside this machine (the network here is closed).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclasses.dataclass
class Web:
    chat: ConsoleChat
    url: str
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
        async with self.http.get(self.url + path, allow_redirects=False) as response:
            return response.status, await response.text(), response.headers


@pytest.fixture
def web_settings() -> WebSettings:
    """Override in a test module for other [web] settings (listen stays a free port)."""
    return WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org")


@pytest.fixture
async def web(db: Database, rules: Rules, web_settings: WebSettings) -> AsyncIterator[Web]:
    chat = ConsoleChat(db, Config(rules=rules, privacy=NO_DELAY, web=web_settings))
    chat.app.web = web_server(chat.app)
    await chat.start()
    assert chat.app.web.port is not None
    async with aiohttp.ClientSession() as http:
        yield Web(chat, f"http://127.0.0.1:{chat.app.web.port}", http)
    await chat.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context()
    page = await context.new_page()
    yield page
    await context.close()
