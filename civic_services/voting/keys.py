"""The ledger's secrets, kept in the data directory (mode 0600): the Ed25519 key that signs tree heads and
results, and the HMAC key that turns a voter into a per-poll pseudonym. Back both up with the database:
without the HMAC key, who has voted in an open poll can no longer be recognised."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEAD_CONTEXT = b"dasan-ledger-head/v1\n"
RESULT_CONTEXT = b"dasan-ledger-result/v1\n"


def _create_once(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` unless it exists (two processes starting at once agree on one key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


def head_message(poll: str, size: int, root_hex: str, timestamp: str) -> bytes:
    return HEAD_CONTEXT + f"{poll}\n{size}\n{root_hex}\n{timestamp}".encode()


def result_message(poll: str, size: int, root_hex: str, tally_sha256: str) -> bytes:
    return RESULT_CONTEXT + f"{poll}\n{size}\n{root_hex}\n{tally_sha256}".encode()


def verify(public_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64)).verify(base64.b64decode(signature_b64),
                                                                                 message)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


class LedgerKeys:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        signing_path = self.directory / "ledger_ed25519.pem"
        pseudonym_path = self.directory / "voter_pseudonym.key"
        _create_once(signing_path, Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        _create_once(pseudonym_path, secrets.token_bytes(32))
        self._signing = serialization.load_pem_private_key(signing_path.read_bytes(), password=None)
        self._pseudonym_key = pseudonym_path.read_bytes()
        if len(self._pseudonym_key) < 32:
            raise ValueError(f"{pseudonym_path} is damaged (shorter than 32 bytes); restore it from a backup")
        raw = self._signing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()
        self.key_id = key_id(raw)
        # names the HMAC key without revealing it (a one-way hash of a 256-bit secret, under its own context)
        self.pseudonym_key_id = hashlib.sha256(b"dasan-pseudonym-key-id/v1\n" + self._pseudonym_key).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._signing.sign(message)).decode()

    def keyed(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of ``value`` for ``purpose`` (a person's registry key, a per-poll pseudonym)."""
        return hmac.new(self._pseudonym_key, f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()
