"""The persons' keyring: the random keys, kept outside the database, that make crypto-shredding work.

Each person's citizen ID and phone are sealed with a data key of their own (``protection.data_key_new``); that
data key is stored in the person's row *wrapped* (AES-256-GCM) by the key-encryption key (KEK) of a keyring
**epoch**, and the look-up hashes of the identifiers are HMACs under that epoch's **hash key**. Both keys of
an epoch are 32 random bytes — never derived from ``settings.PII_KEY`` — and live only in the keyring file
(``keyring_path()``: ``settings.PERSONS_KEYRING``, the environment's ``FANGKONG_PERSONS_KEYRING``, default
``var/keys/persons-keyring``), itself sealed with a key derived from ``PII_KEY``.

Why epochs: a dump of the database taken before a purge holds the deleted persons' wrapped data keys and
hashes. Deleting their rows does not make that dump unreadable while the KEK and hash key that protect it
exist. So after persons are deleted, ``fangkong.persons.shredding.rotate`` opens a new epoch, rewraps the
data key of every remaining person under the new KEK and rehashes their identifiers with the new hash key,
and then **destroys the old epoch** (rewrites this file without it). From then on nothing on the server — the
settings, ``PII_KEY``, this file — opens the old dump's wrapped keys or confirms a guessed citizen ID against
its hashes.

Operating rules that follow (``docs/crypto-shredding.md``):

- the keyring file must be backed up (losing it loses every identifier), but **a backup of it must not be
  kept past the next purge**: a keyring backup with an old epoch plus an old dump undo the shredding (keep
  it in an HSM or a KMS where keys can be destroyed, or rotate backups with the purges);
- the file is written atomically (a new file renamed over the old one); on a journalled or copy-on-write
  file system the old blocks may survive on the disk until overwritten: keep the file on storage that is
  not snapshotted, or in an HSM.

Every process re-reads the file when it changes (a ``stat`` per use), so a server worker picks up a new epoch
as soon as a rotation opens it. A writer that wrapped a key under an epoch checks, after its insert, that the
epoch is still live (``check_live``): a rotation that destroyed it in between is then noticed and the write
is rolled back instead of leaving an unreadable row.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ENVIRONMENT = "FANGKONG_PERSONS_KEYRING"
FORMAT = 1


class KeyringError(Exception):
    """The keyring cannot be read (wrong ``PII_KEY``, damaged file) or an epoch it needs is gone."""


@dataclass(frozen=True)
class Epoch:
    number: int
    kek: bytes
    hash_key: bytes


@dataclass(frozen=True)
class Keyring:
    """The live epochs; ``current`` is the one new keys are wrapped and new hashes computed under (during a
    rotation the previous epoch is still live until every row left it)."""

    current: int
    epochs: dict[int, Epoch]

    @property
    def now(self) -> Epoch:
        return self.epochs[self.current]

    def epoch(self, number: int) -> Epoch:
        try:
            return self.epochs[number]
        except KeyError:
            raise KeyringError(f"keyring epoch {number} is not live (destroyed, or another keyring)") from None


def keyring_path() -> Path:
    value = getattr(settings, "PERSONS_KEYRING", None) or os.environ.get(ENVIRONMENT)
    return Path(value) if value else settings.VAR_DIR / "keys" / "persons-keyring"


@lru_cache(maxsize=4)
def _file_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fangkong-pii", info=b"persons-keyring").derive(
        secret.encode("utf-8"))


def _encode(keyring: Keyring) -> bytes:
    body = json.dumps({"format": FORMAT, "current": keyring.current, "epochs": [
        {"number": e.number, "kek": base64.b64encode(e.kek).decode(), "hash_key": base64.b64encode(e.hash_key).decode()}
        for e in sorted(keyring.epochs.values(), key=lambda e: e.number)]}).encode()
    nonce = os.urandom(12)
    return b"fkr1:" + nonce + AESGCM(_file_key(settings.PII_KEY)).encrypt(nonce, body, b"persons-keyring")


def _decode(raw: bytes) -> Keyring:
    if not raw.startswith(b"fkr1:"):
        raise KeyringError("not a persons keyring file")
    raw = raw[5:]
    try:
        body = json.loads(AESGCM(_file_key(settings.PII_KEY)).decrypt(raw[:12], raw[12:], b"persons-keyring"))
    except Exception as exc:  # InvalidTag: another PII_KEY, or a damaged file
        raise KeyringError("the persons keyring does not open with this PII_KEY (or is damaged)") from exc
    epochs = {e["number"]: Epoch(e["number"], base64.b64decode(e["kek"]), base64.b64decode(e["hash_key"]))
              for e in body["epochs"]}
    return Keyring(current=body["current"], epochs=epochs)


_cache: dict[str, tuple[tuple, Keyring]] = {}
_cache_lock = threading.Lock()


def _signature(stat: os.stat_result) -> tuple:
    return stat.st_ino, stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns


def load() -> Keyring:
    """The keyring as the file holds it now (re-read when the file changed; created with epoch 1 when there is
    none yet — the first person registered on a new installation)."""
    path = keyring_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _create(path)
    key = str(path)
    cached = _cache.get(key)
    if cached is not None and cached[0] == _signature(stat):
        return cached[1]
    with _cache_lock:
        raw = path.read_bytes()
        keyring = _decode(raw)
        _cache[key] = (_signature(os.stat(path)), keyring)
    return keyring


def current() -> Epoch:
    return load().now


def epoch(number: int) -> Epoch:
    return load().epoch(number)


def check_live(*numbers: int) -> None:
    """``KeyringError`` when one of these epochs is no longer live: called by writers after their insert, so
    that a row wrapped under an epoch a rotation has just destroyed is rolled back, not left unreadable."""
    keyring = load()
    for number in numbers:
        if number:
            keyring.epoch(number)


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, keyring: Keyring) -> None:
    """Replace the file atomically (write a new file, fsync, rename over, fsync the folder)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, _encode(keyring))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    _cache.pop(str(path), None)


def _new_epoch(number: int) -> Epoch:
    return Epoch(number, secrets.token_bytes(32), secrets.token_bytes(32))


def _has_key_column(model) -> bool:
    """Whether ``model``'s table has its key columns yet: while an installation is migrated, the first data
    migration that seals (persons, cross-region requests or travellers, in any order) makes the keyring before
    the other holders' columns exist."""
    from django.db import connection

    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, model._meta.db_table)
    return any(column.name == "key_epoch" for column in columns)


def _create(path: Path) -> Keyring:
    """A new keyring — refused when rows sealed under a keyring exist (the file was lost or misplaced: a new one
    would leave them unreadable and write new rows under an epoch number theirs already use)."""
    from fangkong.persons.shredding import holders  # the models; imported when a keyring is first made

    with _locked(path):
        if not path.exists():  # another process may have created it while this one waited for the lock
            sealed = [m._meta.label for m in holders()
                      if _has_key_column(m) and m.objects.filter(key_epoch__gt=0).exists()]
            if sealed:
                raise KeyringError(f"no persons keyring at {path}, but rows of {', '.join(sealed)} are sealed under "
                                   "one: restore the keyring file (or point FANGKONG_PERSONS_KEYRING at it)")
            _write(path, Keyring(current=1, epochs={1: _new_epoch(1)}))
    return load()


def epoch_open() -> Keyring:
    """Open a new epoch and make it current (the first step of a rotation); the previous ones stay live. When a
    rotation was already under way (more than one live epoch), nothing new is opened: it is resumed."""
    path = keyring_path()
    load()  # created if missing
    with _locked(path):
        keyring = _decode(path.read_bytes())
        if len(keyring.epochs) == 1:
            number = keyring.current + 1
            keyring = Keyring(current=number, epochs={**keyring.epochs, number: _new_epoch(number)})
            _write(path, keyring)
    return load()


def epochs_destroy_before(number: int) -> list[int]:
    """Destroy every epoch older than ``number`` (the last step of a rotation, once no row uses them); the
    numbers destroyed."""
    path = keyring_path()
    with _locked(path):
        keyring = _decode(path.read_bytes())
        gone = sorted(n for n in keyring.epochs if n < number)
        if gone:
            _write(path, Keyring(current=keyring.current,
                                 epochs={n: e for n, e in keyring.epochs.items() if n >= number}))
    return gone
