"""Configuration of one IRC network, as read from the `[[irc.networks]]` tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

IDENTITY_MODES = ("nick", "account")


@dataclass(frozen=True)
class IrcNetworkSettings:
    """Everything the transport needs to serve one network.

    The first entry of `channels` is the announce channel. `password_env` names the
    environment variable holding the NickServ/SASL password; the password itself never
    appears in configuration files. `identity` is "account" (a member is their services
    account) unless "nick" is chosen explicitly.
    """

    name: str
    host: str
    port: int = 6667
    tls: bool = False
    tls_verify: bool = True
    nick: str = "dynamo"
    alt_nicks: tuple[str, ...] = ()
    realname: str = "Dynamo bot"
    channels: tuple[str, ...] = ()
    prefix: str = "!"
    password_env: str | None = None
    sasl: bool = False
    sasl_username: str | None = None
    # Services accounts by default: "nick" trusts whoever holds a nick, and must be chosen.
    identity: str = "account"
    campaign_channels: bool = False
    channel_prefix: str = "dynamo"
    burst: int = 4
    rate: float = 1.0
    ping_timeout: float = 240.0
    reconnect_max_delay: float = 300.0
    regain_nick_interval: float = 60.0

    def __post_init__(self) -> None:
        # TOML arrays arrive as lists; the dataclass is frozen and hashable only with tuples.
        for name in ("alt_nicks", "channels"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"irc network {self.name!r}: {name} must be a list of strings")
            object.__setattr__(self, name, tuple(value))
        self._validate()

    def _validate(self) -> None:
        where = f"irc network {self.name!r}"
        if not self.name.strip():
            raise ValueError("irc network: name must not be empty")
        if not self.host.strip():
            raise ValueError(f"{where}: host must not be empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"{where}: port must be between 1 and 65535, not {self.port}")
        for nick in (self.nick, *self.alt_nicks):
            if not _is_plain_token(nick) or nick[0] in "#&+!:$" or nick[0].isdigit():
                raise ValueError(f"{where}: {nick!r} is not a valid nick")
        for channel in self.channels:
            if not _is_plain_token(channel) or channel[0] not in "#&+!" or "," in channel:
                raise ValueError(f"{where}: {channel!r} is not a valid channel name")
        if not self.prefix or not _is_plain_token(self.prefix):
            raise ValueError(f"{where}: prefix must be non-empty and without spaces")
        if self.identity not in IDENTITY_MODES:
            raise ValueError(f"{where}: identity must be one of {', '.join(IDENTITY_MODES)}")
        if self.sasl_username is not None and not _is_plain_token(self.sasl_username):
            raise ValueError(f"{where}: sasl_username must not contain spaces")
        if self.burst < 1:
            raise ValueError(f"{where}: burst must be at least 1")
        for name in ("rate", "ping_timeout", "reconnect_max_delay", "regain_nick_interval"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{where}: {name} must be positive")

    def startup_problem(self, environ: Mapping[str, str]) -> str | None:
        """Why this network cannot be served with this environment, or None."""
        if not self.channels:
            return f"[[irc]] {self.name}: channels needs at least one channel"
        if self.sasl and not (self.password_env and environ.get(self.password_env)):
            return (
                f"[[irc]] {self.name}: sasl = true needs a password: set password_env to the "
                f"name of an environment variable and put the password in it"
            )
        return None

    @property
    def announce_channel(self) -> str | None:
        return self.channels[0] if self.channels else None

    @property
    def sasl_login(self) -> str:
        return self.sasl_username or self.nick

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The keys a configuration table may use, for precise unknown-key errors."""
        return tuple(f.name for f in fields(cls))


def _is_plain_token(value: str) -> bool:
    """True for a non-empty string that cannot break an IRC line or parameter list."""
    return bool(value) and not any(ch.isspace() or ord(ch) < 32 for ch in value)
