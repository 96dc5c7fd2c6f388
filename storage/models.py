"""The tables. Everything a deployment knows lives here; migrations mirror this file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class RegistrationCode(SQLModel, table=True):
    """A single-use code; only its hash is stored."""

    __tablename__ = "registration_code"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    batch: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime = _created()
    expires_at: datetime | None = _ts(nullable=True)
    redeemed_at: datetime | None = _ts(nullable=True)
    # Shown in a public channel, so no longer usable by anyone.
    burned_at: datetime | None = _ts(nullable=True)
    # Withdrawn before anyone used it: its batch revoked, or its voucher's vouching suspended.
    revoked_at: datetime | None = _ts(nullable=True)


class Member(SQLModel, table=True):
    __tablename__ = "member"
    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    role: str = Field(default="member", sa_column=sa.Column(sa.String(16), nullable=False))
    code_kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    revealed_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    banned_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created()


class Identity(SQLModel, table=True):
    """A platform account attached to one member.

    The account's key (``irc:net1:alice``, ``discord:1234``) is never stored as it is (see
    storage/vault.py): ``key_hash`` is its keyed digest, to find the member behind a message,
    and ``handle`` the key sealed, opened only to deliver a private message.
    """

    __tablename__ = "identity"
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    handle: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    platform: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    member_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False, index=True)
    )
    created_at: datetime = _created()
    last_seen_at: datetime | None = _ts(nullable=True)
    # When the platform last refused a private message to this account for good (closed
    # DMs): it gets none until its holder acts through it again, and is told then.
    dms_refused_at: datetime | None = _ts(nullable=True)


class PendingRegistration(SQLModel, table=True):
    """A redeemed code whose holder is still flipping through pseudonyms; ``key_hash`` is the
    digest of their account's key."""

    __tablename__ = "pending_registration"
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    code_id: int = Field(sa_column=sa.Column(sa.ForeignKey("registration_code.id"), nullable=False))
    offered: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime = _created()


class RegistrationFailure(SQLModel, table=True):
    """A wrong registration or link code: one row for the digest of the account's key, and
    one for the digest of the connection it came by, when the transport knows one."""

    __tablename__ = "registration_failure"
    __table_args__ = (sa.Index("ix_registration_failure_key_at", "key_hash", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


class KeyFingerprint(SQLModel, table=True):
    """The fingerprint of the project secret this database's digests and sealed values were
    made with, remembered at first use and checked at every start (storage/migrate.py)."""

    __tablename__ = "key_fingerprint"
    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = _created()


class LinkCode(SQLModel, table=True):
    """A one-time code that attaches another identity to an existing member."""

    __tablename__ = "link_code"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = _ts(nullable=True)


class Idea(SQLModel, table=True):
    """A pitch. ``up``/``down`` are counters kept in step with the vote rows."""

    __tablename__ = "idea"
    __table_args__ = (sa.Index("ix_idea_status_hidden", "status", "hidden"),)
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False, index=True)
    )
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )
    up: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0))
    down: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0))
    status: str = Field(default="open", sa_column=sa.Column(sa.String(16), nullable=False))
    hidden: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    launched_at: datetime | None = _ts(nullable=True)
    # Set once when the idea first comes within reach of launch, so that milestone is
    # announced exactly once however the votes swing.
    milestone_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)


_ideas = Idea.__table__
# Indexes on expressions, which schema comparison cannot reflect reliably (tested by name).
EXPRESSION_INDEXES = frozenset({"ix_idea_open_top"})
# The top listing in index order: open ideas by score (up - down), newest first among equals,
# read straight off the index instead of sorting every open idea on each `ideas`.
sa.Index(
    "ix_idea_open_top",
    _ideas.c.status,
    _ideas.c.hidden,
    (_ideas.c.up - _ideas.c.down).desc(),
    _ideas.c.id.desc(),
)


class Vote(SQLModel, table=True):
    __tablename__ = "vote"
    idea_id: int = Field(sa_column=sa.Column(sa.ForeignKey("idea.id"), primary_key=True))
    member_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True, index=True)
    )
    value: int = Field(sa_column=sa.Column(sa.SmallInteger, nullable=False))
    created_at: datetime = _created()


class Campaign(SQLModel, table=True):
    """A launched idea; it shares the idea's number."""

    __tablename__ = "campaign"
    id: int = Field(sa_column=sa.Column(sa.ForeignKey("idea.id"), primary_key=True))
    launched_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    status: str = Field(default="active", sa_column=sa.Column(sa.String(16), nullable=False))
    # The current statement (its text also in ``petition_version``), when it was set, its
    # version number (0: no petition yet), and how many signed that version.
    petition_text: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    petition_set_at: datetime | None = _ts(nullable=True)
    petition_version: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    signature_count: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0)
    )
    doc_rev: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0))
    closed_at: datetime | None = _ts(nullable=True)


class Organizer(SQLModel, table=True):
    __tablename__ = "organizer"
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), primary_key=True))
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True))
    added_at: datetime = _created()


class DocRevision(SQLModel, table=True):
    """One version of a campaign's shared document (full text, so revert is a copy)."""

    __tablename__ = "doc_revision"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "rev", name="uq_doc_revision_rev"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), nullable=False))
    rev: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _created()


class PetitionVersion(SQLModel, table=True):
    """Every statement a petition has had. Once someone signs a version its text never
    changes: a new statement is a new version, and signatures stay with the one they
    signed."""

    __tablename__ = "petition_version"
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), primary_key=True))
    version: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _created()


class Signature(SQLModel, table=True):
    __tablename__ = "signature"
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), primary_key=True))
    member_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True, index=True)
    )
    # The petition version signed (see PetitionVersion).
    version: int = Field(
        default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1")
    )
    category: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    created_at: datetime = _created()


class Subscription(SQLModel, table=True):
    __tablename__ = "subscription"
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True))
    idea_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("idea.id"), primary_key=True, index=True)
    )
    created_at: datetime = _created()


class ModAction(SQLModel, table=True):
    """The moderation log: who did what to what, and when."""

    __tablename__ = "mod_action"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("member.id")))
    action: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    target: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    created_at: datetime = _created()
    # The moderator's stated reason, shown in the public log (`modlog`, /modlog).
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # The public log says "a member" instead of the target (a ban, unless the moderator
    # chose to name them); moderators' `mod log` still shows it.
    target_hidden: bool = Field(
        default=False,
        sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()),
    )


class RetiredPseudonym(SQLModel, table=True):
    """The pseudonym of a member who left, so it is never handed out again: only its keyed
    digest (storage/vault.py, purpose "retired pseudonym"), and nothing else, so the row
    ties the name to no member, no time and no other row; the member's own row shows
    "former member" from then on."""

    __tablename__ = "retired_pseudonym"
    digest: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))


class Outbox(SQLModel, table=True):
    """The bus: one row per delivery (an announcement to one space, a DM to one member).

    Written in the same transaction as the change that caused it; transports claim rows,
    deliver them and mark them sent.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_pending", "sent_at", "kind", "available_at"),
        sa.Index("ix_outbox_member", "member_id", "sent_at"),
        sa.Index("ix_outbox_stream", "stream", "sent_at"),
        sa.Index("ix_outbox_space", "space", "sent_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    space: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    # The idea or campaign a row is about (its number): queued commands about one are
    # carried out in the order asked, whatever random moment each drew
    # (commands.framework.deferral), and its announcements go out in order in each space
    # (bot/outbox.py).
    stream: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    member_id: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("member.id")))
    event: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = _created()
    available_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0))
    claimed_until: datetime | None = _ts(nullable=True)
    # Which process holds the lease (bot/serving.py's owner): restarted, it takes it back.
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    sent_at: datetime | None = _ts(nullable=True)
    failed_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class SpaceRef(SQLModel, table=True):
    """What a transport remembers about its own platform objects, so it survives restarts:
    the Discord message that announced idea 42, the thread of campaign 3, a webhook.

    ``space`` is the space key (``discord:GUILD``), ``kind`` what is kept, ``ref`` the
    Dynamo side (an idea number, a channel id) and ``value`` the platform side.
    """

    __tablename__ = "space_ref"
    space: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    kind: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    ref: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = _created()


class Space(SQLModel, table=True):
    """Every space any process serves (``irc:libera``, ``discord:GUILD``): announcements go
    to each one seen lately, whichever process wrote them, and one process at a time serves
    it, holding ``lease_until`` (renewed while it runs; a process of the same ``owner``,
    restarted, takes it back at once, another when it has run out).
    """

    __tablename__ = "space"
    key: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    owner: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    incarnation: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    lease_until: datetime | None = _ts(nullable=True)
    # The last time a process configured with this space said so.
    seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class MemberEmail(SQLModel, table=True):
    """A member's email address: used only to mail them, never shown to anyone.

    Addresses are stored sealed (storage/vault.py, purpose "email"). ``address`` is the
    verified one. ``pending_address`` waits for ``verify CODE``; the code
    is made when the mail is composed and only its hash is kept. A permanent delivery
    failure is recorded in ``failure`` (and ``failed_at`` when it is the verified address,
    which then gets no more mail) and told to the member the next time they act.
    """

    __tablename__ = "member_email"
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True))
    address: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    verified_at: datetime | None = _ts(nullable=True)
    pending_address: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    code_hash: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    code_expires_at: datetime | None = _ts(nullable=True)
    code_attempts: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0)
    )
    # Verification mails asked for since ``requests_since`` (a daily allowance).
    requests: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0))
    requests_since: datetime | None = _ts(nullable=True)
    unsubscribe_token: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(32), unique=True)
    )
    failed_at: datetime | None = _ts(nullable=True)
    failure: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    failure_shown_at: datetime | None = _ts(nullable=True)


class MemberPrefs(SQLModel, table=True):
    """How a member wants notices (dm, email, both, digest, off) and their time zone."""

    __tablename__ = "member_prefs"
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True))
    notify: str = Field(default="dm", sa_column=sa.Column(sa.String(8), nullable=False))
    timezone: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))


class Ledger(SQLModel, table=True):
    """What scheduled work has been done, keyed by (kind, period): the weekly update of
    ``2026-W48``, the reminder for idea 12's deadline. The row is written first, in the same
    transaction as the outbox rows it causes, so nothing is ever sent twice. ``content``
    keeps what a bulletin said, for the mails rendered from it later.
    """

    __tablename__ = "ledger"
    kind: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    period: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    created_at: datetime = _created()
    content: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON))


class CampaignUpdate(SQLModel, table=True):
    """One revision of a campaign's update draft; the weekly email publishes the newest."""

    __tablename__ = "campaign_update"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "rev", name="uq_campaign_update_rev"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), nullable=False))
    rev: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _created()
    # The weekly period that published this draft; None while it is still a draft.
    published_in: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))


class Deadline(SQLModel, table=True):
    """An idea that must launch by ``due_at`` or close."""

    __tablename__ = "deadline"
    idea_id: int = Field(sa_column=sa.Column(sa.ForeignKey("idea.id"), primary_key=True))
    due_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    set_by: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("member.id")))
    set_at: datetime = _created()


class CampaignDeadline(SQLModel, table=True):
    """When a campaign's discussion or petition (``part``) ends. ``ended_at`` is set, to
    ``due_at``, once the sweep has ended it: from then on it takes no more."""

    __tablename__ = "campaign_deadline"
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), primary_key=True))
    part: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    due_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    set_by: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("member.id")))
    set_at: datetime = _created()
    ended_at: datetime | None = _ts(nullable=True)


class Action(SQLModel, table=True):
    """A campaign's action: what it asks of members, how many pledges it ``needs`` by
    ``due_at``. ``status`` goes from open to triggered (``pledge_count`` reached ``needs``)
    or lapsed (the deadline came first), once, at ``closed_at``. ``target`` is the address
    the action is delivered to, sealed (storage/vault.py, purpose "action target").
    ``revealed`` is written at the trigger: the name each pledger chose to be named by
    (their pseudonym unless they chose another), in no particular order, and nothing else
    about them.
    """

    __tablename__ = "action"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("campaign.id"), nullable=False, index=True)
    )
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    needs: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    due_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))
    target: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    status: str = Field(default="open", sa_column=sa.Column(sa.String(16), nullable=False))
    pledge_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, default=0))
    created_by: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("member.id")))
    created_at: datetime = _created()
    closed_at: datetime | None = _ts(nullable=True)
    revealed: list[str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    # The target address may be mailed only once a moderator confirmed it (`mod target A
    # confirm`), so the bot can't be used to mail strangers.
    target_confirmed_at: datetime | None = _ts(nullable=True)
    # From the trigger until it is delivered: what goes to the target (the summary and the
    # letters), sealed (purpose "action delivery"); dropped once the mail is sent.
    delivery: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    # The mail to the target as sent: when the server took it, and its Message-ID.
    delivered_at: datetime | None = _ts(nullable=True)
    delivery_message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))


class Pledge(SQLModel, table=True):
    """A sealed pledge. Nothing in the row says who made it or when:

    - ``finder`` is a keyed digest (storage/vault.py, purpose "pledge") of the action and
      the member, so a member's own pledge is found (to withdraw it, or not to count it
      twice) by someone holding the secret who already knows the member; without the secret
      it ties the row to nobody, and one member's pledges to different actions look
      unrelated;
    - ``sealed`` holds the member's id and the name they chose to be named by, sealed for
      the purpose "pledge": opened only when the action triggers or lapses
      (commands/actions.py), and the rows go then.
    """

    __tablename__ = "pledge"
    action_id: int = Field(sa_column=sa.Column(sa.ForeignKey("action.id"), primary_key=True))
    finder: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    sealed: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class Letter(SQLModel, table=True):
    """A pledger's own letter to an action's target, sealed like their pledge: ``finder`` is
    the same keyed digest of the action and the member as the pledge's (so a member finds
    their own letter, and at the trigger each pledge finds its letter), ``sealed`` the text
    (purpose "letter"). Only the letters of pledges that count at the trigger are opened,
    into the delivery; then every letter row of the action goes, and at a lapse unread.
    """

    __tablename__ = "action_letter"
    action_id: int = Field(sa_column=sa.Column(sa.ForeignKey("action.id"), primary_key=True))
    finder: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    sealed: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class NextStep(SQLModel, table=True):
    """A proposed next step of a campaign: adopted when its objection window ends without
    objections, disputed (and mediated by moderators) with any."""

    __tablename__ = "next_step"
    __table_args__ = (sa.Index("ix_next_step_status_window", "status", "window_ends_at"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("campaign.id"), nullable=False, index=True)
    )
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    proposer_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    created_at: datetime = _created()
    window_ends_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    status: str = Field(default="proposed", sa_column=sa.Column(sa.String(16), nullable=False))
    decided_at: datetime | None = _ts(nullable=True)
    undone_at: datetime | None = _ts(nullable=True)
    undone_by: int | None = Field(default=None, sa_column=sa.Column(sa.ForeignKey("member.id")))


class Objection(SQLModel, table=True):
    __tablename__ = "objection"
    step_id: int = Field(sa_column=sa.Column(sa.ForeignKey("next_step.id"), primary_key=True))
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _created()


class CampaignActivity(SQLModel, table=True):
    """When a campaign last saw a vote, signature, edit, message, update or next step; a
    campaign quiet for ``[schedule] stall_days`` gets its organizers a nudge."""

    __tablename__ = "campaign_activity"
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), primary_key=True))
    last_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class Outsider(SQLModel, table=True):
    """A person without a chat account who signs a campaign's petition or follows its
    updates by email (``action`` sign / follow), from the mailed link they must confirm
    (double opt-in) until they leave. The address is kept sealed (storage/vault.py) and
    found by its keyed digest; the confirmation link only as a hash. An address gets at
    most one confirmation mail per campaign and action: the unique key says so."""

    __tablename__ = "outsider"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "action", "address_hash", name="uq_outsider_once"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    address_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    address: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # A signature's shown name, affiliation and category (researcher or ally).
    name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    affiliation: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    category: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    # A researcher whose confirmed address is at an academic domain ([web] academic_domains).
    academic: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    token_hash: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), unique=True, nullable=True)
    )
    token_expires_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created()
    confirmed_at: datetime | None = _ts(nullable=True)
    # A signature counts from its random moment on (commands.framework.deferral), on the
    # petition version current then.
    counted_at: datetime | None = _ts(nullable=True)
    version: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))


class WebAttempt(SQLModel, table=True):
    """One use of a public form, by the keyed digest of who (an IP, an address): the rate
    limits hold across processes. Rows older than a day are deleted as new ones come."""

    __tablename__ = "web_attempt"
    __table_args__ = (sa.Index("ix_web_attempt_key_at", "key_hash", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))


metadata = SQLModel.metadata

# APScheduler's job store table, exactly as its SQLAlchemyJobStore defines it. Declared here
# so the migrations create it and the schema checks know it (otherwise the job store would
# create it behind Alembic's back on first start).
scheduler_jobs = sa.Table(
    "apscheduler_jobs",
    metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)


class WebLogin(SQLModel, table=True):
    """A one-time link into the web editor, given to a member in a private message: only
    the keyed digest of its token is kept, and the row goes when the link is used."""

    __tablename__ = "web_login"
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))


class WebSession(SQLModel, table=True):
    """A member's session in the web editor, opened by a login link; only the keyed digest
    of the cookie's value is kept. It ends at ``expires_at``, after an idle time since
    ``seen_at``, or when the member ends it."""

    __tablename__ = "web_session"
    id_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    member_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False, index=True)
    )
    seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False, index=True))


class Vouch(SQLModel, table=True):
    """A code a member issued by vouching for someone they know. Who issued it and whom it let
    in are kept only sealed, each with a keyed digest to find the row by: a copy of the
    database does not say who vouched for whom, and only the moderators' commands open it
    (storage.repos.vouches)."""

    __tablename__ = "vouch"
    code_id: int = Field(
        sa_column=sa.Column(sa.ForeignKey("registration_code.id"), primary_key=True)
    )
    voucher_finder: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    voucher_sealed: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    vouched_finder: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), nullable=True, unique=True)
    )
    vouched_sealed: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class VouchSuspension(SQLModel, table=True):
    """A member a moderator stopped from vouching (not in the moderation log: see
    commands/vouching.py)."""

    __tablename__ = "vouch_suspension"
    member_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), primary_key=True))
    suspended_by: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    suspended_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class SaidMessage(SQLModel, table=True):
    """A `say` in a campaign's discussion, numbered so people can cite it (`report say 17`).
    The words went out in public under the author's pseudonym; the author is kept to tell
    them privately when reports hide it, and to pace them in slow mode."""

    __tablename__ = "said_message"
    __table_args__ = (sa.Index("ix_said_message_pace", "campaign_id", "author_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), nullable=False))
    author_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = _created()
    hidden: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))


class ReportItem(SQLModel, table=True):
    """Something members reported (an idea, a said message, a shown name), once per thing:
    open, hidden by reports until a moderator decides, then kept or hidden for good."""

    __tablename__ = "report_item"
    __table_args__ = (sa.UniqueConstraint("kind", "target", name="uq_report_item_target"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    # The idea's or message's number, or the member whose shown name it is.
    target: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    author_id: int = Field(sa_column=sa.Column(sa.ForeignKey("member.id"), nullable=False))
    status: str = Field(default="open", sa_column=sa.Column(sa.String(8), nullable=False))
    # The shown name reports hid, given back if a moderator keeps it.
    hidden_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100)))
    created_at: datetime = _created()
    decided_at: datetime | None = _ts(nullable=True)


class Report(SQLModel, table=True):
    """One member's report of an item: the reason, and who only as a keyed digest of the
    member and the item (storage/vault.py), enough to count distinct reporters and nothing
    more: no member id, no time, and a member's digests differ from item to item."""

    __tablename__ = "report"
    item_id: int = Field(sa_column=sa.Column(sa.ForeignKey("report_item.id"), primary_key=True))
    reporter_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class DiscussionPace(SQLModel, table=True):
    """A campaign's discussion slowed (one `say` per member per ``slow_seconds``) or locked
    until ``locked_until`` by a moderator."""

    __tablename__ = "discussion_pace"
    campaign_id: int = Field(sa_column=sa.Column(sa.ForeignKey("campaign.id"), primary_key=True))
    slow_seconds: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    locked_until: datetime | None = _ts(nullable=True)
