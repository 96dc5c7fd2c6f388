"""The registry of every command, assembled from the feature modules."""

from __future__ import annotations

from commands import (
    accounts,
    actions,
    campaigns,
    deadlines,
    discussion_pace,
    documents,
    email,
    help,
    ideas,
    leaving,
    moderation,
    nextsteps,
    petitions,
    preferences,
    profile,
    registration,
    reports,
    say,
    subscriptions,
    updates,
    votes,
    vouching,
    web,
)
from commands.framework.registry import CommandSet, Registry

FEATURES: tuple[CommandSet, ...] = (
    registration.spec,
    accounts.spec,
    ideas.spec,
    votes.spec,
    campaigns.spec,
    documents.spec,
    say.spec,
    petitions.spec,
    actions.spec,
    subscriptions.spec,
    profile.spec,
    moderation.spec,
    vouching.spec,
    leaving.spec,
    reports.spec,
    discussion_pace.spec,
    updates.spec,
    nextsteps.spec,
    deadlines.spec,
    email.spec,
    preferences.spec,
    web.spec,
    help.spec,
)


def build_registry(extra: tuple[CommandSet, ...] = ()) -> Registry:
    registry = Registry()
    for feature in (*FEATURES, *extra):
        registry.extend(feature)
    return registry
