"""Configuration: TOML validated against typed tables; an unknown key or bad value stops
start-up with a message that names it. Every default here is documented in
``config.example.toml``; secrets are never in the file, only the names of environment
variables that hold them.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.transports.discord.settings import DiscordSettings
from bot.transports.irc.settings import IrcNetworkSettings
from bot.web.settings import WebSettings
from commands.email.addresses import valid_address
from commands.framework.calendar import Schedule
from commands.framework.privacy import Privacy
from commands.framework.rules import Rules
from commands.framework.trust import Trust


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///dynamo.db"
    # With several processes on one PostgreSQL, how soon another takes over a space whose
    # server stopped answering (see bot/serving.py).
    takeover_seconds: float = 30.0
    # Who this process is to the others: a restarted process with the same name takes its
    # spaces back at once. Empty: this machine's name and the spaces it is configured with.
    instance: str = ""

    def __post_init__(self) -> None:
        if not 3 <= self.takeover_seconds <= 3600:
            raise ValueError("takeover_seconds must be between 3 and 3600")


@dataclass(frozen=True)
class AdminSettings:
    # Identity keys that are admins: "discord:USER_ID", "irc:NETWORK:ACCOUNT_OR_NICK",
    # "console:NAME". The console runs on the operator's own terminal, so its "admin"
    # person is an admin by default.
    identities: tuple[str, ...] = ("console:admin",)


@dataclass(frozen=True)
class ConsoleSettings:
    channel: str = "#dynamo"
    prefix: str = "!"


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "INFO"


def toml_key(f: dataclasses.Field[Any]) -> str:
    """The key a setting has in the TOML file: its field name unless that cannot be a Python
    name (``from`` is a keyword, so ``[email] from`` is the field ``sender``)."""
    return str(f.metadata.get("toml", f.name))


@dataclass(frozen=True)
class EmailSettings:
    # Empty host: email is off, and `email ADDRESS` tells members so.
    host: str = ""
    port: int = 587
    starttls: bool = True
    tls: bool = False
    username: str = ""
    password_env: str = "DYNAMO_SMTP_PASSWORD"
    # ``from`` in the file.
    sender: str = field(default="", metadata={"toml": "from"})
    connections: int = 4
    timeout: float = 30.0
    unsubscribe: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError("port must be between 1 and 65535")
        if self.starttls and self.tls:
            raise ValueError("use starttls (port 587) or tls (port 465), not both")
        if not 1 <= self.connections <= 32:
            raise ValueError("connections must be between 1 and 32")
        if self.timeout <= 0:
            raise ValueError("timeout must be more than 0")
        if self.host and valid_address(self.sender) is None:
            raise ValueError("from must be an email address (like dynamo@example.org)")
        if self.unsubscribe and not self.unsubscribe.startswith(("mailto:", "https://")):
            raise ValueError("unsubscribe must start with mailto: or https://")

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    def list_unsubscribe(self, token: str) -> str:
        """The List-Unsubscribe target for one member's token."""
        template = self.unsubscribe or f"mailto:{self.sender}?subject=unsubscribe%20{{token}}"
        return template.replace("{token}", token)


@dataclass(frozen=True)
class Config:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    rules: Rules = field(default_factory=Rules)
    trust: Trust = field(default_factory=Trust)
    admins: AdminSettings = field(default_factory=AdminSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    schedule: Schedule = field(default_factory=Schedule)
    privacy: Privacy = field(default_factory=Privacy)
    email: EmailSettings = field(default_factory=EmailSettings)
    # One table per IRC network: [[irc]] name = "libera" host = ... (see config.example.toml).
    irc: tuple[IrcNetworkSettings, ...] = ()
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    web: WebSettings = field(default_factory=WebSettings)

    @property
    def reserved_names(self) -> frozenset[str]:
        """Names no member may show: the bot's own on every platform."""
        names = {"dynamo"}
        for network in self.irc:
            names.update((network.nick, *network.alt_nicks))
        return frozenset(name.lower() for name in names)

    @property
    def database_url(self) -> str:
        """``DYNAMO_DATABASE_URL`` wins over the file, so deployments keep URLs out of it."""
        return os.environ.get("DYNAMO_DATABASE_URL") or self.database.url


def load(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    return from_dict(raw)


def from_dict(raw: dict[str, Any]) -> Config:
    config = _build(Config, raw, "")
    _check(config)
    return config


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or 'the config'} must be a table")
    hints = typing.get_type_hints(cls)
    names = {toml_key(f): f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"unknown key {_name(where, key)} (known keys: {known})")
    values = {
        names[key]: _convert(hints[names[key]], value, _name(where, key))
        for key, value in raw.items()
    }
    missing = [
        toml_key(f)
        for f in dataclasses.fields(cls)
        if f.name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where or 'the config'} needs {', '.join(missing)}")
    try:
        return cls(**values)
    except ValueError as exc:  # the settings' own checks
        raise ConfigError(f"[{where}] {exc}" if where else str(exc)) from exc


def _name(where: str, key: str) -> str:
    return f"[{where}] {key}" if where else f"[{key}]"


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where.strip("[]").replace("] ", "."))
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _convert(args[0], value, where)
    if origin is tuple:
        (item,) = typing.get_args(hint)[:1]
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        if dataclasses.is_dataclass(item):
            table = where.strip("[]").replace("] ", ".")
            return tuple(_build(item, v, f"{table} #{i + 1}") for i, v in enumerate(value))
        return tuple(_convert(item, v, where) for v in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported setting type {hint!r}")


# Where an admin's identity lives: "console:NAME", "discord:USER_ID", "irc:NETWORK:ACCOUNT".
ADMIN_FORMS = '"console:NAME", "discord:USER_ID" or "irc:NETWORK:ACCOUNT_OR_NICK"'


def _check_admin(identity: str, networks: set[str]) -> None:
    platform, _, rest = identity.partition(":")
    where = f"[admins] identities: {identity!r}"
    if platform == "console" and rest:
        return
    if platform == "discord" and rest.isascii() and rest.isdigit():
        return
    if platform == "irc":
        network, _, account = rest.partition(":")
        if network and account:
            if networks and network not in networks:
                known = ", ".join(sorted(networks))
                raise ConfigError(f"{where} names IRC network {network!r}; yours: {known}")
            return
    raise ConfigError(f"{where} is not an account: write {ADMIN_FORMS}")


def _check(config: Config) -> None:
    for table, rules in (("rules", config.rules), ("trust", config.trust)):
        for rule in dataclasses.fields(rules):  # every rule is a count or a length, in a range
            low, high = rule.metadata["range"]
            value = getattr(rules, rule.name)
            if not low <= value <= high:
                raise ConfigError(
                    f"[{table}] {rule.name} = {value} is out of range: give a whole number "
                    f"from {low} to {high:,} ({rule.metadata['means']})"
                )
    networks = {network.name for network in config.irc}
    for identity in config.admins.identities:
        _check_admin(identity, networks)
    if config.logging.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("[logging] level must be DEBUG, INFO, WARNING or ERROR")
    if not config.console.channel.startswith("#"):
        raise ConfigError("[console] channel must start with #")
    names = [network.name for network in config.irc]
    if len(set(names)) != len(names):
        raise ConfigError("[[irc]] network names must be unique")
