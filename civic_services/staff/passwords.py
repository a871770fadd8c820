"""Password hashing with scrypt (memory-hard; in the standard library): ``scrypt$n$r$p$salt$hash``, base64.

The cost (n=2^15, r=8: 32 MiB and about 0.1 s per check on one core) is stored with each hash, so it can be raised
later without invalidating old hashes; :func:`needs_rehash` says when a stored hash is weaker than today's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

N, R, P = 2 ** 15, 8, 1
MIN_LENGTH = 10
MAX_LENGTH = 1024  # a longer "password" is a denial of service, not a password


class WeakPassword(ValueError):
    """A password that is too short, too long, or the account's own name."""


def check_strength(password: str, name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if name and password.strip().lower() == name.strip().lower():
        raise WeakPassword("the password must not be the account's name")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, N, R, P)
    encode = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${N}${R}${P}${encode(salt)}${encode(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password[:MAX_LENGTH], base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    try:
        _, n, r, p, *_ = stored.split("$")
        return (int(n), int(r), int(p)) < (N, R, P)
    except ValueError:
        return True


@cache
def dummy_hash() -> str:
    """A hash to check against when the account does not exist, so a wrong name costs as long as a wrong
    password (made on first use, not at import)."""
    return hash_password(secrets.token_urlsafe(16))
