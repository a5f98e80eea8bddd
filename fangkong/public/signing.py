"""The signed manifest of the public site: SHA-256 of every published file, signed with Ed25519.

``manifest.json`` is canonical JSON (sorted keys, no spaces), ``manifest.sig`` the base64 of the Ed25519
signature of exactly those bytes. Ed25519 signatures are deterministic: the same files give the same
manifest and the same signature. The private key stays on the publishing host, outside the site; the
server and the watcher hold only the public key (``conf.verify_key_path``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
EDITION = "edition.json"
EDITION_SIGNATURE = "edition.sig"
#: The files that describe the site and are checked by the signature itself, not listed in the manifest.
SIGNED_SELF = (MANIFEST, SIGNATURE, PUBLIC_KEY, EDITION, EDITION_SIGNATURE)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_generate(path: Path) -> Ed25519PrivateKey:
    """A new private key at ``path`` (mode 0600) and its public key at ``path.pub``; refused if one exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    path.with_name(path.name + ".pub").write_bytes(public_pem(key.public_key()))
    return key


def private_key_load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def public_key_load(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def manifest_bytes(files: dict[str, bytes], *, site: str, content_sha256: str, as_of: str) -> bytes:
    """The canonical manifest of ``files`` (path → body)."""
    listed = {path: {"bytes": len(body), "sha256": sha256(body)} for path, body in sorted(files.items())}
    document = {"as_of": as_of, "content_sha256": content_sha256, "files": listed, "format": 1, "site": site}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign(key: Ed25519PrivateKey, manifest: bytes) -> bytes:
    return base64.b64encode(key.sign(manifest)) + b"\n"


@dataclass(frozen=True)
class Manifest:
    files: dict[str, str]  # path → sha256
    as_of: str
    site: str
    raw_sha256: str


def manifest_verify(public_key: Ed25519PublicKey, manifest: bytes, signature: bytes) -> Manifest | None:
    """The manifest if ``signature`` is the key's signature of exactly ``manifest``; None otherwise."""
    try:
        public_key.verify(base64.b64decode(signature.strip(), validate=True), manifest)
        document = json.loads(manifest)
        files = {str(path): str(entry["sha256"]) for path, entry in document["files"].items()}
        return Manifest(files=files, as_of=str(document["as_of"]), site=str(document["site"]),
                        raw_sha256=sha256(manifest))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return None


# --- the edition record: which publication, in order ----------------------------------------------------
#
# The manifest says what the files are; it is the same for the same approved content, whenever published.
# The edition record (``edition.json``, signed in ``edition.sig``) says *which* publication it is: its
# number (1, 2, 3 … for the site), the manifest it published and when. An attacker who puts an older,
# validly signed edition back is found by its number being lower than the highest already seen.


@dataclass(frozen=True)
class Edition:
    serial: int
    manifest_sha256: str
    published_at: str


def edition_bytes(*, serial: int, manifest_sha256: str, published_at: str, site: str) -> bytes:
    document = {"format": 1, "manifest_sha256": manifest_sha256, "published_at": published_at, "serial": serial,
                "site": site}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def edition_verify(public_key: Ed25519PublicKey, record: bytes, signature: bytes) -> Edition | None:
    """The edition record if ``signature`` is the key's signature of exactly ``record``; None otherwise."""
    try:
        public_key.verify(base64.b64decode(signature.strip(), validate=True), record)
        document = json.loads(record)
        return Edition(serial=int(document["serial"]), manifest_sha256=str(document["manifest_sha256"]),
                       published_at=str(document["published_at"]))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return None
