"""A campaign as files for delivery to its target: the document, the petition statement
in each of its versions, the signature counts per version and category, the names
signers chose to show, and its actions (how many pledged, whether it triggered and when it
was delivered to its target). Nothing else about anyone: no pseudonym, no account, no
address.

`dynamo export campaign N --format md|html|csv` writes them and the public pages serve the
same files at /campaigns/N/export.md, .html and .csv; both build them here.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from commands.framework.formatting import plural
from commands.petitions import CATEGORIES
from storage.repos import actions, campaigns, documents, petitions

FORMATS = ("md", "html", "csv")
MEDIA_TYPES = {"md": "text/markdown", "html": "text/html", "csv": "text/csv"}
# Every name shown, however many: the export is the list handed over.
ALL_NAMES = 1_000_000


@dataclass(frozen=True)
class Version:
    number: int
    text: str
    set_at: datetime
    counts: dict[str, int]
    names: list[tuple[str, str]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Action:
    number: int
    text: str
    needs: int
    pledges: int
    status: str
    due_at: datetime
    closed_at: datetime | None
    delivered_at: datetime | None

    @property
    def state(self) -> str:
        """ "triggered 2026-12-03 14:00 UTC: 3 members stood together; delivered to the
        target on 2026-12-03 14:01 UTC", and so on (times in UTC)."""
        if self.status == actions.TRIGGERED and self.closed_at is not None:
            said = (
                f"triggered {_utc(self.closed_at)}: {plural(self.pledges, 'member')} stood together"
            )
            if self.delivered_at is not None:
                said += f"; delivered to the target on {_utc(self.delivered_at)}"
            return said
        if self.status == actions.LAPSED:
            counted = f"{self.pledges} of {self.needs} pledges"
            return f"lapsed at its deadline, {_utc(self.due_at)}, with {counted}"
        return f"{self.pledges} of {self.needs} pledges, until {_utc(self.due_at)}"


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Campaign:
    id: int
    text: str
    status: str
    document: str | None
    document_rev: int | None
    versions: list[Version]
    actions: list[Action]


async def gather(conn: AsyncConnection, campaign_id: int) -> Campaign | None:
    """Everything the export holds, or None when there is no such public campaign."""
    row = await campaigns.get(conn, campaign_id)
    if row is None or row.hidden:
        return None
    head = await documents.head(conn, campaign_id)
    found = []
    for v in await petitions.versions(conn, campaign_id):
        counts = await petitions.counts_by_category(conn, campaign_id, int(v.version))
        names = await petitions.shown_names(conn, campaign_id, int(v.version), limit=ALL_NAMES)
        found.append(
            Version(
                number=int(v.version),
                text=v.text,
                set_at=v.created_at,
                counts=counts,
                names=[(n.display_name, n.category) for n in names],
            )
        )
    return Campaign(
        id=campaign_id,
        text=row.text,
        status=row.status,
        document=head.text if head is not None else None,
        document_rev=int(head.rev) if head is not None else None,
        versions=found,
        actions=[
            Action(
                number=int(a.id),
                text=a.text,
                needs=int(a.needs),
                pledges=int(a.pledge_count),
                status=a.status,
                due_at=a.due_at,
                closed_at=a.closed_at,
                delivered_at=a.delivered_at,
            )
            for a in reversed(await actions.of_campaign(conn, campaign_id))
        ],
    )


def render(campaign: Campaign, fmt: str) -> str:
    return {"md": markdown, "html": page, "csv": table}[fmt](campaign)


def filename(campaign_id: int, fmt: str) -> str:
    return f"campaign-{campaign_id}.{fmt}"


def _categories(counts: dict[str, int]) -> list[str]:
    return list(CATEGORIES) + sorted(set(counts) - set(CATEGORIES))


def _counts_line(version: Version) -> str:
    detail = ", ".join(plural(version.counts.get(c, 0), c) for c in _categories(version.counts))
    return f"{plural(version.total, 'signature')} ({detail})"


def _md_escape(text: str) -> str:
    # Member text stays text: nothing in it becomes a heading, a link or markup.
    return "".join("\\" + ch if ch in "\\`*_[]<>#|~" else ch for ch in text)


def markdown(c: Campaign) -> str:
    e = _md_escape
    lines = [f"# Campaign #{c.id}: {e(c.text)}", ""]
    if c.status != "active":
        lines += [f"Status: {c.status}.", ""]
    for v in reversed(c.versions):
        current = " (current)" if v is c.versions[-1] else ""
        lines += [f"## Petition, version {v.number}{current}", "", f"Set {v.set_at:%Y-%m-%d}.", ""]
        lines += [f"> {e(line)}" if line else ">" for line in v.text.split("\n")]
        lines += ["", f"{_counts_line(v)}.", ""]
        if v.names:
            lines += ["Signed openly by:", ""]
            lines += [f"- {e(name)} ({e(category)})" for name, category in v.names]
            lines.append("")
    if c.actions:
        lines += ["## Actions", ""]
        lines += [f"- Action #{a.number}: {e(a.text)} — {a.state}." for a in c.actions]
        lines.append("")
    lines += ["## Document", ""]
    if c.document is None:
        lines += ["No document yet.", ""]
    else:
        lines += [f"Revision {c.document_rev}.", "", *[e(x) for x in c.document.split("\n")], ""]
    return "\n".join(lines)


def page(c: Campaign) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Campaign #{c.id}: {e(c.text)}</title></head><body>",
        f"<h1>Campaign #{c.id}: {e(c.text)}</h1>",
    ]
    if c.status != "active":
        parts.append(f"<p>Status: {e(c.status)}.</p>")
    for v in reversed(c.versions):
        current = " (current)" if v is c.versions[-1] else ""
        parts.append(f"<h2>Petition, version {v.number}{current}</h2>")
        parts.append(f"<p>Set {v.set_at:%Y-%m-%d}.</p>")
        parts.append(f"<blockquote>{e(v.text)}</blockquote>")
        parts.append(f"<p>{e(_counts_line(v))}.</p>")
        if v.names:
            parts.append("<p>Signed openly by:</p><ul>")
            parts += [f"<li>{e(name)} ({e(category)})</li>" for name, category in v.names]
            parts.append("</ul>")
    if c.actions:
        parts.append("<h2>Actions</h2><ul>")
        parts += [f"<li>Action #{a.number}: {e(a.text)} — {e(a.state)}.</li>" for a in c.actions]
        parts.append("</ul>")
    parts.append("<h2>Document</h2>")
    if c.document is None:
        parts.append("<p>No document yet.</p>")
    else:
        parts.append(f"<p>Revision {c.document_rev}.</p><pre>{e(c.document)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting like a formula: keep member text a text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table(c: Campaign) -> str:
    """One row per fact: what (statement, count, name, document), version, category, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["campaign", "what", "version", "category", "value"])
    writer.writerow([c.id, "campaign", "", "", _cell(c.text)])
    for v in c.versions:
        writer.writerow([c.id, "statement", v.number, "", _cell(v.text)])
        for category in _categories(v.counts):
            writer.writerow([c.id, "count", v.number, category, v.counts.get(category, 0)])
        for name, category in v.names:
            writer.writerow([c.id, "name", v.number, _cell(category), _cell(name)])
    for a in c.actions:
        writer.writerow([c.id, "action", a.number, a.status, _cell(f"{a.text} — {a.state}")])
    if c.document is not None:
        writer.writerow([c.id, "document", c.document_rev, "", _cell(c.document)])
    return out.getvalue()
