"""Discord's size limits on message and modal bodies.

A bot that only ever talks to a permissive fake learns about these limits in production (a
2001-character reply, a 101-character custom_id); the stand-in answers 400 like Discord does.
"""

from __future__ import annotations

from typing import Any

from .errors import INVALID_FORM_BODY, RestError
from .payloads import field_errors
from .records import iter_components

Json = dict[str, Any]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_MODAL_TITLE = 45
EMBED_FIELD_LIMITS = {"title": 256, "description": 4096}
EMPTY_MESSAGE = 50006


def _too_long(path: list[str | int], limit: int) -> RestError:
    return RestError(
        400,
        INVALID_FORM_BODY,
        "Invalid Form Body",
        field_errors(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."),
    )


def _check_embeds(embeds: list[Json], prefix: list[str | int]) -> None:
    if len(embeds) > MAX_EMBEDS:
        raise _too_long([*prefix, "embeds"], MAX_EMBEDS)
    total = 0
    for index, embed in enumerate(embeds):
        here = [*prefix, "embeds", index]
        for key, limit in EMBED_FIELD_LIMITS.items():
            text = embed.get(key) or ""
            if len(text) > limit:
                raise _too_long([*here, key], limit)
            total += len(text)
        for number, item in enumerate(embed.get("fields") or []):
            if len(item.get("name", "")) > 256:
                raise _too_long([*here, "fields", number, "name"], 256)
            if len(item.get("value", "")) > 1024:
                raise _too_long([*here, "fields", number, "value"], 1024)
            total += len(item.get("name", "")) + len(item.get("value", ""))
        total += len((embed.get("footer") or {}).get("text", ""))
        total += len((embed.get("author") or {}).get("name", ""))
    if total > MAX_EMBED_TOTAL:
        raise RestError(400, INVALID_FORM_BODY, "Embed size exceeds maximum size of 6000")


def _check_components(components: list[Json], prefix: list[str | int]) -> None:
    rows = [c for c in components if c.get("type") == 1]
    if len(rows) > MAX_ROWS:
        raise _too_long([*prefix, "components"], MAX_ROWS)
    for index, row in enumerate(rows):
        if len(row.get("components") or []) > MAX_ROW_ITEMS:
            raise _too_long([*prefix, "components", index, "components"], MAX_ROW_ITEMS)
    for item in iter_components(components):
        if len(item.get("custom_id") or "") > MAX_CUSTOM_ID:
            raise _too_long([*prefix, "components", "custom_id"], MAX_CUSTOM_ID)
        if item.get("type") == 2 and len(item.get("label") or "") > MAX_BUTTON_LABEL:
            raise _too_long([*prefix, "components", "label"], MAX_BUTTON_LABEL)


def check_message_body(
    body: Json, *, has_files: bool = False, creating: bool = True, prefix: list[str | int] = ()
) -> None:
    """Raise the 400 Discord answers for an over-long or (when creating) empty message."""
    prefix = list(prefix)
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        raise _too_long([*prefix, "content"], MAX_CONTENT)
    embeds = body.get("embeds") or []
    components = body.get("components") or []
    _check_embeds(embeds, prefix)
    _check_components(components, prefix)
    has_other = body.get("sticker_ids") or body.get("poll")
    if creating and not (content or embeds or components or has_files or has_other):
        raise RestError(400, EMPTY_MESSAGE, "Cannot send an empty message")


def check_modal(data: Json) -> None:
    title = data.get("title") or ""
    if not 1 <= len(title) <= MAX_MODAL_TITLE:
        raise _too_long(["data", "title"], MAX_MODAL_TITLE)
    custom_id = data.get("custom_id") or ""
    if not 1 <= len(custom_id) <= MAX_CUSTOM_ID:
        raise _too_long(["data", "custom_id"], MAX_CUSTOM_ID)
    components = data.get("components") or []
    if not 1 <= len(components) <= MAX_ROWS:
        raise _too_long(["data", "components"], MAX_ROWS)
    _check_components(components, ["data"])
