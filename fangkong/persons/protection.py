"""Protection of citizen IDs and phone numbers at rest: keyed hash, authenticated encryption, masks.

Neither value is ever stored in clear.

**A person's identifiers** (and those of the other rows that hold a person's identifiers, such as a
cross-region request's listed persons) are protected so that they can be *crypto-shredded*
(``fangkong.persons.keyring``, ``fangkong.persons.shredding``):

- each row has a data key of its own, 32 random bytes, stored in the row only wrapped by the key-encryption
  key of the keyring's current epoch (``key_wrapped``, ``key_epoch``; ``data_key_new`` / ``data_keys_new``);
- its identifiers are sealed with that data key: ``v2:`` + base64(nonce ‖ AES-256-GCM ciphertext ‖ tag), the
  purpose bound as associated data (``identifier_seal``; ``identifier_open`` opens them for a row);
- their look-up hashes are HMAC-SHA256 under the epoch's hash key (``identifier_hash`` / ``identifier_hashes``
  for what is written; ``identifier_lookup`` for what is looked up: the hashes under every live epoch, since
  a rotation rehashes the rows one batch at a time).

An import job's uploaded file and its name (citizen IDs and phones in clear inside) are sealed the same way, with
a data key of the job's own (``data_seal`` / ``data_open_with`` for bytes; ``fangkong.cases.jobs``).

**Everything else** (the phone of a place or an enterprise, API keys, the secrets of interoperability
destinations) stays sealed with a key HKDF derives from ``settings.PII_KEY``:
``encrypt`` / ``decrypt`` give ``v1:`` + base64(nonce ‖ ciphertext ‖ tag); larger payloads are sealed as bytes
with the same key and layout, without the base64 (``seal`` / ``unseal``); ``keyed_hash`` / ``keyed_hashes``
are HMACs under a key derived the same way. None of these is a person's citizen ID or phone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from fangkong.persons import keyring

VERSION = "v1"
IDENTIFIER_VERSION = "v2"


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
    return hashes_under(hash_key, values, purpose)


def hashes_under(hash_key: bytes, values, purpose: str) -> list[str]:
    """HMAC-SHA256(``hash_key``, ``purpose:value``) of each value, hex (the key schedule computed once)."""
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


# ------------------------------------------------------------------------ a person's identifiers (per-row keys)


@dataclass(frozen=True, slots=True)
class DataKey:
    """A row's data key in clear (``key``, in memory only) and as stored (``wrapped`` under epoch ``epoch``)."""

    key: bytes
    wrapped: str
    epoch: int


def _wrap_data(epoch: int) -> bytes:
    return f"persons.data-key:{epoch}".encode()


def data_keys_new(count: int, epoch: keyring.Epoch | None = None) -> list[DataKey]:
    """``count`` fresh random data keys, wrapped under ``epoch`` (default: the keyring's current one)."""
    if count <= 0:
        return []
    now = epoch or keyring.current()
    aead, associated = AESGCM(now.kek), _wrap_data(now.number)
    raw = os.urandom(44 * count)
    keys = []
    for i in range(count):
        key, nonce = raw[44 * i:44 * i + 32], raw[44 * i + 32:44 * i + 44]
        keys.append(DataKey(key, base64.b64encode(nonce + aead.encrypt(nonce, key, associated)).decode("ascii"),
                            now.number))
    return keys


def data_key_new() -> DataKey:
    return data_keys_new(1)[0]


def data_key_open(wrapped: str, epoch: int) -> bytes:
    """The data key ``wrapped`` under ``epoch``: ``keyring.KeyringError`` when that epoch was destroyed (the
    row was copied before a purge's rotation: that is the point), ``InvalidTag`` when it was not wrapped so."""
    raw = base64.b64decode(wrapped)
    return AESGCM(keyring.epoch(epoch).kek).decrypt(raw[:12], raw[12:], _wrap_data(epoch))


def data_key_opener(epoch: keyring.Epoch):
    """``wrapped -> data key`` for keys wrapped under ``epoch`` (one cipher object for a batch of rows)."""
    aead, associated = AESGCM(epoch.kek), _wrap_data(epoch.number)

    def open_key(wrapped: str) -> bytes:
        raw = base64.b64decode(wrapped)
        return aead.decrypt(raw[:12], raw[12:], associated)

    return open_key


def data_key_wrap(key: bytes, epoch: keyring.Epoch) -> str:
    """``key`` wrapped under ``epoch`` (a rotation rewrapping a row's key)."""
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(epoch.kek).encrypt(nonce, key, _wrap_data(epoch.number))).decode("ascii")


def identifier_seal(key: bytes, value: str, purpose: str) -> str:
    """``value`` sealed with a row's data key: ``v2:`` + base64(nonce ‖ ciphertext ‖ tag)."""
    nonce = os.urandom(12)
    return f"{IDENTIFIER_VERSION}:" + base64.b64encode(
        nonce + AESGCM(key).encrypt(nonce, value.encode("utf-8"), purpose.encode())).decode("ascii")


def identifier_open_with(key: bytes, token: str, purpose: str) -> str:
    version, _, payload = token.partition(":")
    if version != IDENTIFIER_VERSION:
        raise ValueError(f"unknown identifier protection version {version!r}")
    raw = base64.b64decode(payload)
    return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode("utf-8")


def identifier_open(holder, token: str, purpose: str) -> str:
    """The identifier ``token`` of ``holder`` (a row with ``key_wrapped`` and ``key_epoch``) in clear; "" when
    nothing is sealed. The caller audits the reveal."""
    if not token:
        return ""
    return identifier_open_with(data_key_open(holder.key_wrapped, holder.key_epoch), token, purpose)


def data_seal(key: bytes, data: bytes, purpose: str) -> bytes:
    """``data`` (any bytes: an uploaded file) sealed with a row's data key: ``v2:`` ‖ nonce ‖ ciphertext ‖ tag,
    ``purpose`` bound as associated data — what ``seal`` does with the ``PII_KEY``-derived key, under a key
    that a keyring rotation shreds with the row's copies."""
    nonce = os.urandom(12)
    return f"{IDENTIFIER_VERSION}:".encode() + nonce + AESGCM(key).encrypt(nonce, bytes(data), purpose.encode())


def data_open_with(key: bytes, sealed: bytes, purpose: str) -> bytes:
    """The bytes ``data_seal`` sealed with ``key`` for ``purpose``; ``ValueError`` for anything else
    (``InvalidTag`` when the key, the purpose or a byte differs)."""
    sealed, prefix = bytes(sealed), f"{IDENTIFIER_VERSION}:".encode()
    if not sealed.startswith(prefix):
        raise ValueError("not a payload sealed with a data key")
    raw = sealed[len(prefix):]
    return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode())


def identifiers_open(holder, *pairs: tuple[str, str]) -> list[str]:
    """Several identifiers of one row (``(token, purpose)`` pairs), its data key unwrapped once."""
    if not any(token for token, _purpose in pairs):
        return ["" for _pair in pairs]
    key = data_key_open(holder.key_wrapped, holder.key_epoch)
    return [identifier_open_with(key, token, purpose) if token else "" for token, purpose in pairs]


def identifiers_seal_many(rows: list[tuple[str, ...]], purposes: tuple[str, ...],
                          epoch: keyring.Epoch | None = None) -> list[tuple[str, ...]]:
    """For each row of identifiers (one value per purpose, "" for none): (wrapped data key, sealed value per
    purpose) — a fresh data key per row with at least one value, wrapped under ``epoch`` (default: the current
    one); a row without any value gets ("", "", …). What ``data_keys_new`` and ``identifier_seal`` give, in bulk
    (the randomness drawn at once): the registration of a million persons spends its time here."""
    now = epoch or keyring.current()
    wrap, wrap_data = AESGCM(now.kek).encrypt, _wrap_data(now.number)
    associated = [purpose.encode() for purpose in purposes]
    prefix = f"{IDENTIFIER_VERSION}:"
    width = 44 + 12 * len(purposes)
    raw = os.urandom(width * len(rows))
    b64 = base64.b64encode
    empty = ("",) * (1 + len(purposes))
    out = []
    for i, values in enumerate(rows):
        if not any(values):
            out.append(empty)
            continue
        chunk = raw[width * i:width * (i + 1)]
        key, nonce = chunk[:32], chunk[32:44]
        seal = AESGCM(key).encrypt
        sealed = [b64(nonce + wrap(nonce, key, wrap_data)).decode("ascii")]
        for k, value in enumerate(values):
            if value:
                n = chunk[44 + 12 * k:56 + 12 * k]
                sealed.append(prefix + b64(n + seal(n, value.encode("utf-8"), associated[k])).decode("ascii"))
            else:
                sealed.append("")
        out.append(tuple(sealed))
    return out


def identifier_hash(value: str, purpose: str) -> str:
    """The look-up hash stored with a new row: HMAC under the current epoch's hash key."""
    return hashes_under(keyring.current().hash_key, [value], purpose)[0]


def identifier_hashes(values, purpose: str) -> list[str]:
    """``identifier_hash`` of many values."""
    return hashes_under(keyring.current().hash_key, values, purpose)


@dataclass(frozen=True)
class Lookup:
    """The hashes to look values up by: ``current[i]`` is value i's hash under the current epoch (what a row
    written now stores); ``index`` maps its hash under *every live epoch* to i (during a rotation a row may
    still carry the previous epoch's hash)."""

    current: list[str]
    index: dict[str, int]

    @property
    def hashes(self) -> list[str]:
        """Every hash to look for (``field__in=lookup.hashes``)."""
        return list(self.index)

    def canonical(self, stored: str) -> str:
        """The current-epoch hash of the value whose (any-epoch) hash a row stores."""
        return self.current[self.index[stored]]


def identifier_lookup(values, purpose: str) -> Lookup:
    """The one way to look up rows by a citizen ID or phone (the registry, laboratories, key populations, the
    case life cycle, imports): see ``Lookup``."""
    values = list(values)
    ring = keyring.load()
    current = hashes_under(ring.now.hash_key, values, purpose)
    index = {}
    for number, epoch in ring.epochs.items():
        digests = current if number == ring.current else hashes_under(epoch.hash_key, values, purpose)
        for i, digest in enumerate(digests):
            index.setdefault(digest, i)
    return Lookup(current=current, index=index)


def lookup_hashes(value: str, purpose: str) -> list[str]:
    """The hashes of one value under every live epoch (``citizen_id_hash__in=...``)."""
    return identifier_lookup([value], purpose).hashes
