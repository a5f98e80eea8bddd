"""Protection of citizen IDs and phone numbers at rest: keyed hash, authenticated encryption, masks.

Neither value is ever stored in clear. From the secret ``settings.PII_KEY`` HKDF derives two keys:
one for HMAC-SHA256 (exact look-up and de-duplication without decryption) and one for AES-256-GCM
(display to roles allowed to see the value; every such reveal is audited by the service that does it).
The encrypted text is ``v1:`` + base64(nonce ‖ ciphertext ‖ tag), the purpose bound as associated data.
Larger payloads (an uploaded import file, kept only while its job may run) are sealed as bytes with the
same key and layout, without the base64: ``seal`` / ``unseal``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[bytes, bytes]:
    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"fangkong-pii", info=b"hash+aead").derive(
        secret.encode("utf-8")
    )
    return material[:32], material[32:]


def keyed_hash(value: str, purpose: str) -> str:
    hash_key, _ = _keys(settings.PII_KEY)
    return hmac.new(hash_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _seal(plain: bytes, purpose: str) -> bytes:
    """nonce ‖ AES-256-GCM(plain) ‖ tag, ``purpose`` bound as associated data."""
    _, aead_key = _keys(settings.PII_KEY)
    nonce = os.urandom(12)
    return nonce + AESGCM(aead_key).encrypt(nonce, plain, purpose.encode())


def _unseal(raw: bytes, purpose: str) -> bytes:
    _, aead_key = _keys(settings.PII_KEY)
    return AESGCM(aead_key).decrypt(raw[:12], raw[12:], purpose.encode())


def encrypt(value: str, purpose: str) -> str:
    return f"{VERSION}:" + base64.b64encode(_seal(value.encode("utf-8"), purpose)).decode("ascii")


def decrypt(token: str, purpose: str) -> str:
    version, _, payload = token.partition(":")
    if version != VERSION:
        raise ValueError(f"unknown protection version {version!r}")
    return _unseal(base64.b64decode(payload), purpose).decode("utf-8")


def seal(data: bytes, purpose: str) -> bytes:
    """``data`` (any bytes, e.g. an uploaded file) sealed: ``v1:`` ‖ nonce ‖ ciphertext ‖ tag."""
    return f"{VERSION}:".encode() + _seal(bytes(data), purpose)


def unseal(sealed: bytes, purpose: str) -> bytes:
    """The bytes ``seal`` sealed for ``purpose``; ``ValueError`` for anything else (``InvalidTag`` when the
    key, the purpose or a byte differs)."""
    sealed = bytes(sealed)
    prefix = f"{VERSION}:".encode()
    if not sealed.startswith(prefix):
        raise ValueError("not a sealed payload")
    return _unseal(sealed[len(prefix):], purpose)


def mask_phone(e164: str) -> str:
    """``+8613812345678`` → ``+86 *******5678``: the last four digits only (the carrier and area digits
    would narrow the number for anyone who also knows where the person lives)."""
    if e164.startswith("+86") and len(e164) == 14:
        return "+86 " + "*" * 7 + e164[-4:]
    return "+" + "*" * max(0, len(e164) - 5) + e164[-4:]


def keyed_hashes(values, purpose: str) -> list[str]:
    """``keyed_hash`` of many values (the same digests; the HMAC key schedule is computed once)."""
    hash_key, _ = _keys(settings.PII_KEY)
    block = hash_key.ljust(64, b"\0")  # HMAC-SHA256 (RFC 2104): a 32-byte key is padded to the block size
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    prefix = f"{purpose}:".encode()
    digests = []
    for value in values:
        h = inner.copy()
        h.update(prefix + value.encode())
        o = outer.copy()
        o.update(h.digest())
        digests.append(o.hexdigest())
    return digests


def encrypt_many(values, purpose: str) -> list[str]:
    """``encrypt`` of many values (each with its own random nonce; one cipher object)."""
    values = list(values)
    _, aead_key = _keys(settings.PII_KEY)
    aead, associated = AESGCM(aead_key), purpose.encode()
    nonces = os.urandom(12 * len(values))
    sealed = []
    for i, value in enumerate(values):
        nonce = nonces[12 * i:12 * i + 12]
        sealed.append(f"{VERSION}:" + base64.b64encode(nonce + aead.encrypt(nonce, value.encode("utf-8"),
                                                                             associated)).decode("ascii"))
    return sealed
