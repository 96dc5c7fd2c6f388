"""Configuration of the Discord transport: the ``[discord]`` table and its guilds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DiscordGuildSettings:
    """One Discord server (guild) the movement meets in."""

    id: int
    announce_channel_id: int
    # Launched campaigns get a thread here (a forum post when it is a forum channel).
    campaign_parent_channel_id: int
    # Members with one of these roles see the /mod commands.
    moderator_role_ids: tuple[int, ...] = ()
    # The tag a campaign's post gets when the parent is a forum. Unset: none, or where the
    # forum requires a tag, its first one.
    campaign_tag_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "moderator_role_ids", tuple(self.moderator_role_ids))
        for name in ("id", "announce_channel_id", "campaign_parent_channel_id"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a Discord id (a positive number)")
        if self.campaign_tag_id is not None and self.campaign_tag_id <= 0:
            raise ValueError("campaign_tag_id must be a Discord id (a positive number)")


@dataclass(frozen=True)
class DiscordSettings:
    # The environment variable that holds the bot token (never the token itself).
    token_env: str = "DYNAMO_DISCORD_TOKEN"
    # Overrides for an HTTP/gateway proxy (and for tests); empty means Discord's own.
    api_base: str = ""
    gateway_url: str = ""
    guilds: tuple[DiscordGuildSettings, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.guilds)

    def startup_problem(self, environ: Mapping[str, str]) -> str | None:
        """Why Discord cannot be served with this environment (no token), or None."""
        if self.enabled and not (environ.get(self.token_env) or "").strip():
            return missing_token(self.token_env)
        return None


def missing_token(env: str) -> str:
    return (
        f"[discord] needs a bot token: set the environment variable {env} to your bot's token "
        f"(Discord developer portal → your application → Bot → Reset Token). The [discord] "
        f"token_env setting names the variable; the token itself never goes in the config."
    )
