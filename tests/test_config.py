"""Configuration: documented defaults, and clear errors naming the bad key or value."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, ConfigError, from_dict, load, toml_key
from bot.transports.discord.settings import DiscordGuildSettings
from bot.transports.irc.settings import IrcNetworkSettings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_documents_every_default() -> None:
    assert load(EXAMPLE) == Config()
    text = EXAMPLE.read_text()
    raw = tomllib.loads(text)
    for section, table in vars(Config()).items():
        if isinstance(table, tuple):  # arrays of tables are shown commented out
            continue
        assert section in raw, f"[{section}] missing from config.example.toml"
        for key in map(toml_key, dataclasses.fields(table)):
            if key in ("guilds",):
                continue
            assert key in raw[section], f"[{section}] {key} missing from config.example.toml"
    for cls in (IrcNetworkSettings, DiscordGuildSettings):
        for f in dataclasses.fields(cls):
            assert re.search(rf"^#{f.name} = ", text, re.M), f"{f.name} undocumented"


def test_commented_tables_in_example_are_valid() -> None:
    """Uncommenting the example [[irc]] and [[discord.guilds]] tables gives a valid config."""
    lines = EXAMPLE.read_text().splitlines()
    uncommented = [line[1:] if re.match(r"^#(\[\[|[a-z_]+ = )", line) else line for line in lines]
    config = from_dict(tomllib.loads("\n".join(uncommented)))
    assert config.irc[0].name == "libera" and config.irc[0].channels == ("#dynamo",)
    assert config.discord.guilds[0].id == 123456789012345678


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rules": {"launch_upvote": 3}}, "unknown key [rules] launch_upvote"),
        ({"rulez": {}}, "unknown key [rulez]"),
        ({"rules": {"launch_upvotes": "many"}}, "[rules] launch_upvotes must be a whole number"),
        (
            {"rules": {"launch_upvotes": 0}},
            "[rules] launch_upvotes = 0 is out of range: give a whole number from 1 to 1,000,000",
        ),
        (
            {"rules": {"listing_size": 99999999999999999999}},
            "[rules] listing_size = 99999999999999999999 is out of range: give a whole number "
            "from 1 to 50",
        ),
        ({"rules": {"name_max_chars": 500}}, "from 1 to 100 (the longest name a member may show)"),
        (
            {"admins": {"identities": ["admin"]}},
            "[admins] identities: 'admin' is not an account: write \"console:NAME\"",
        ),
        ({"admins": {"identities": ["discord:kristy"]}}, "'discord:kristy' is not an account"),
        ({"admins": {"identities": ["irc:kristy"]}}, "'irc:kristy' is not an account"),
        (
            {
                "admins": {"identities": ["irc:libra:kristy"]},
                "irc": [{"name": "libera", "host": "h"}],
            },
            "'irc:libra:kristy' names IRC network 'libra'; yours: libera",
        ),
        ({"database": {"url": 5}}, "[database] url must be a string"),
        ({"admins": {"identities": "console:x"}}, "[admins] identities must be a list"),
        ({"logging": {"level": "LOUD"}}, "[logging] level must be"),
        ({"irc": [{"name": "x", "host": "h", "chanels": []}]}, "unknown key [irc #1] chanels"),
        ({"irc": [{"name": "x", "host": "h", "port": 0}]}, "port must be between 1 and 65535"),
        ({"irc": [{"host": "h"}]}, "irc #1 needs name"),
        ({"discord": {"guilds": [{"id": 1}]}}, "needs announce_channel_id"),
    ],
)
def test_bad_config_names_the_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        from_dict(raw)
    assert message in str(excinfo.value)


def test_cli_stops_on_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\npitch_max_char = 10\n")
    assert main(["--config", str(bad), "db", "upgrade"]) == 2
    assert "unknown key [rules] pitch_max_char" in capsys.readouterr().err


def test_environment_overrides_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMO_DATABASE_URL", "postgresql://x@127.0.0.1/y")
    assert Config().database_url == "postgresql://x@127.0.0.1/y"
