"""The project secret: digests no one can compute without it, values only it opens."""

from __future__ import annotations

import base64
import hashlib

import pytest

from storage import secret
from storage.secret import KEY_ENV, SecretKeyError
from storage.vault import EMAIL, IDENTITY, Vault, check_fingerprint

ALICE = "irc:net1:alice"


def vault() -> Vault:
    return Vault.from_environ()


def other() -> Vault:
    return Vault(secret.parse(secret.new_secret()))


def test_a_digest_is_stable_under_one_key_and_unguessable_without_it() -> None:
    mine = vault()
    assert mine.digest(ALICE) == vault().digest(ALICE)
    assert len(mine.digest(ALICE)) == 64 and mine.digest(ALICE) != mine.digest("irc:net1:bob")
    # Someone with the database and a list of nicks can't test them: a plain hash won't do,
    # and neither will a guessed key.
    assert mine.digest(ALICE) != hashlib.sha256(ALICE.encode()).hexdigest()
    assert mine.digest(ALICE) != other().digest(ALICE)


def test_a_sealed_value_opens_only_with_its_key_and_for_its_purpose() -> None:
    mine = vault()
    first, second = mine.seal(ALICE, IDENTITY), mine.seal(ALICE, IDENTITY)
    assert first != second  # a fresh nonce each time: equal keys don't look equal
    assert "alice" not in first and mine.open(first, IDENTITY) == ALICE
    with pytest.raises(ValueError, match="another key or for another purpose"):
        mine.open(first, EMAIL)  # an account is never taken for an address, nor back
    with pytest.raises(ValueError, match="another key"):
        other().open(first, IDENTITY)
    tampered = base64.urlsafe_b64decode(first)
    tampered = tampered[:-1] + bytes([tampered[-1] ^ 1])
    with pytest.raises(ValueError):
        mine.open(base64.urlsafe_b64encode(tampered).decode(), IDENTITY)


def test_subkeys_and_fingerprint_are_separate() -> None:
    mine = vault()
    # The fingerprint a database keeps is no digest of anything a lookup would use.
    assert mine.fingerprint not in {mine.digest(""), mine.digest(KEY_ENV)}
    assert mine.fingerprint != other().fingerprint and not mine.is_console
    assert Vault.console().is_console


def test_a_new_secret_reads_back_and_a_mangled_one_is_explained() -> None:
    made = secret.new_secret()
    assert len(made) == 43 and len(secret.parse(made)) == 32
    assert secret.parse(f"  {made}\n") == secret.parse(made)  # pasted with a newline
    for wrong in (made[:-2], made + "AAAA", made[:20] + "!" + made[21:], "hunter2"):
        with pytest.raises(SecretKeyError, match="not a key made by `dynamo secret new`"):
            secret.parse(wrong)


def test_a_missing_secret_says_how_to_set_it() -> None:
    for environ in ({}, {KEY_ENV: "  "}):
        with pytest.raises(SecretKeyError) as missing:
            Vault.from_environ(environ)
        text = str(missing.value)
        assert f"{KEY_ENV} is not set" in text
        assert "dynamo secret new" in text and f"export {KEY_ENV}=" in text


def test_the_fingerprint_check_names_what_is_wrong() -> None:
    mine, console = vault(), Vault.console()
    check_fingerprint(mine, mine.fingerprint)
    with pytest.raises(SecretKeyError, match="not the key this database was made with"):
        check_fingerprint(other(), mine.fingerprint)
    with pytest.raises(SecretKeyError, match="made by `dynamo console`"):
        check_fingerprint(mine, console.fingerprint)
    with pytest.raises(SecretKeyError, match="would recognise no member"):
        check_fingerprint(console, mine.fingerprint)
