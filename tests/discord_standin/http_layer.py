"""What every REST answer shares: the request log, bot-token check, injected faults,
rate-limit headers, Discord-style JSON errors and 404s for routes the stand-in lacks.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import RestError
from .payloads import error_body
from .records import RecordedRequest, UploadedFile
from .state import DiscordState

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/v10"
# Where handlers find the record of the request they answer (typed key: aiohttp warns on str).
RECORD_KEY = web.RequestKey("standin_record", RecordedRequest)
# Generous enough that discord.py's bucket never runs dry, so it never sleeps.
RATE_LIMIT = 1000
RATE_LIMIT_RESET_AFTER = 60.0
# Routes authenticated by the token in their path rather than by the bot token.
TOKEN_IN_PATH_PREFIXES = ("/interactions/", "/webhooks/{webhook_id}/{webhook_token}")


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim, and aiohttp's
    # json_response would append "; charset=utf-8".
    return web.Response(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


@dataclass
class Fault:
    """An answer to give instead of the real one, ``times`` times, to matching requests."""

    method: str
    route: str  # a template ("/channels/{channel_id}/messages") or a concrete path
    status: int
    body: Json
    headers: dict[str, str]
    times: int

    def matches(self, record: RecordedRequest) -> bool:
        return record.matches(self.method, self.route)


class FaultPlan:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take(self, record: RecordedRequest) -> Fault | None:
        for fault in self.faults:
            if fault.matches(record):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None


def rate_limit_fault(
    method: str, route: str, *, retry_after: float, times: int, is_global: bool
) -> Fault:
    # discord.py treats a 429 without a Via header as a Cloudflare ban and raises instead
    # of retrying, so the header is part of a faithful rate limit.
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    return Fault(method.upper(), route, 429, body, headers, times)


def _bucket(method: str, route: str) -> str:
    return hashlib.sha1(f"{method} {route}".encode()).hexdigest()[:16]


def _add_rate_limit_headers(response: web.StreamResponse, record: RecordedRequest) -> None:
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining"):
        if name in response.headers:
            return  # an injected 429 brought its own
    response.headers.update(
        {
            "X-RateLimit-Bucket": _bucket(record.method, record.route or record.path),
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(RATE_LIMIT - 1),
            "X-RateLimit-Reset": f"{time.time() + RATE_LIMIT_RESET_AFTER:.3f}",
            "X-RateLimit-Reset-After": f"{RATE_LIMIT_RESET_AFTER:.3f}",
        }
    )


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """The JSON body, or for a multipart upload its ``payload_json`` and the files."""
    if not request.body_exists:
        return None, []
    if request.content_type == "multipart/form-data":
        form = await request.post()
        files = []
        for value in form.values():
            if isinstance(value, web.FileField):
                files.append(UploadedFile(value.filename, value.content_type, value.file.read()))
                value.file.close()  # aiohttp spools uploads to temp files
        payload = form.get("payload_json")
        return (json.loads(str(payload)) if payload is not None else None), files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


def _route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    if resource is None or request.match_info.http_exception is not None:
        return ""
    return resource.canonical.removeprefix(API_PREFIX)


def make_middleware(state: DiscordState, faults: FaultPlan) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        body, files = await read_body(request)
        record = RecordedRequest(
            method=request.method,
            path=request.path.removeprefix(API_PREFIX),
            route=_route_template(request),
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            files=files,
        )
        state.requests.append(record)
        request[RECORD_KEY] = record
        try:
            response = await _answer(request, handler, record, state, faults)
        except RestError as error:
            response = json_response(
                error_body(error.code, error.message, error.errors), error.status
            )
        record.status = response.status
        if isinstance(response, web.Response) and response.body:
            record.response = json.loads(response.body)  # type: ignore[arg-type]
        _add_rate_limit_headers(response, record)
        state.feed.notify()
        return response

    return middleware


async def _answer(
    request: web.Request,
    handler: Handler,
    record: RecordedRequest,
    state: DiscordState,
    faults: FaultPlan,
) -> web.StreamResponse:
    fault = faults.take(record)
    if fault is not None:
        response = json_response(fault.body, fault.status)
        response.headers.update(fault.headers)
        return response
    exception = request.match_info.http_exception
    if exception is not None:
        # Unknown to the stand-in: answer as Discord does for a route that does not exist.
        status = exception.status
        return json_response(error_body(0, f"{status}: {exception.reason}"), status)
    if not record.route.startswith(TOKEN_IN_PATH_PREFIXES):
        if request.headers.get("Authorization") != f"Bot {state.token}":
            raise RestError(401, 0, "401: Unauthorized")
    return await handler(request)
