"""Configuration: documented defaults, and clear errors naming the bad key or value."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Config, ConfigError, from_dict, load

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_documents_every_default() -> None:
    assert load(EXAMPLE) == Config()
    raw = tomllib.loads(EXAMPLE.read_text())
    for section, table in vars(Config()).items():
        assert section in raw, f"[{section}] missing from config.example.toml"
        for key in vars(table):
            assert key in raw[section], f"[{section}] {key} missing from config.example.toml"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rules": {"launch_upvote": 3}}, "unknown key [rules] launch_upvote"),
        ({"rulez": {}}, "unknown key [rulez]"),
        ({"rules": {"launch_upvotes": "many"}}, "[rules] launch_upvotes must be a whole number"),
        ({"rules": {"launch_upvotes": 0}}, "[rules] launch_upvotes must be at least 1"),
        ({"database": {"url": 5}}, "[database] url must be a string"),
        ({"admins": {"identities": "console:x"}}, "[admins] identities must be a list"),
        ({"logging": {"level": "LOUD"}}, "[logging] level must be"),
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
