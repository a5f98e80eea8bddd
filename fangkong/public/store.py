"""The published files on disk: written by the publish action, read and verified by the public server,
restored by the watcher. No database here: a separate public host needs only the two directories and the
public key.

- ``edition_write``: the edition (files + manifest + signature) into the snapshot directory, then into the
  site directory, each built beside its target and swapped in by renaming;
- ``SiteReader.fetch(path)``: the body of ``path`` if, and only if, its SHA-256 is the one the verified
  manifest lists — from the site directory, else from the snapshot — with what went wrong;
- ``site_restore``: the site directory made equal to the verified snapshot again (changed, missing and
  unlisted files), where the caller may write.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import signing

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json",
                 ".csv": "text/csv; charset=utf-8", ".css": "text/css", ".svg": "image/svg+xml",
                 ".sig": "text/plain; charset=us-ascii", ".pem": "text/plain; charset=us-ascii"}


def safe_relative(path: str) -> str | None:
    """``path`` as a relative POSIX path inside the site, or None (absolute, ``..``, odd characters)."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    parts = PurePosixPath(path).parts
    if any(part in ("..", ".", "") or part.startswith(".") for part in parts):
        return None
    if PurePosixPath(path).suffix not in CONTENT_TYPES:
        return None
    return "/".join(parts)


def _write_tree(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    for path, body in files.items():
        out = building / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(body)
    for folder, _dirs, names in os.walk(building):  # readable by a web server running as another user
        os.chmod(folder, 0o755)  # noqa: S103 - public files, read by the web server
        for name in names:
            os.chmod(Path(folder) / name, 0o644)
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
    os.replace(building, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def edition_write(*, files: dict[str, bytes], manifest: bytes, signature: bytes, public_pem: bytes,
                  site_dir: Path, snapshot_dir: Path) -> None:
    everything = {**files, signing.MANIFEST: manifest, signing.SIGNATURE: signature, signing.PUBLIC_KEY: public_pem}
    _write_tree(snapshot_dir, everything)
    _write_tree(site_dir, everything)


def _read(base: Path, path: str) -> bytes | None:
    try:
        return (base / path).read_bytes()
    except OSError:
        return None


@dataclass
class Fetched:
    """What the server may send for a path, and what it found on the way (``problems``: kind, detail)."""

    body: bytes | None
    source: str = ""  # "site" or "snapshot"
    problems: list[tuple[str, str]] = field(default_factory=list)
    listed: bool = True


class SiteReader:
    """Reads the site and its snapshot, verifying against the signed manifest. Verified manifests are
    cached by the SHA-256 of their bytes and signature, so each request still reads and hashes them."""

    def __init__(self, *, site_dir: Path, snapshot_dir: Path, public_key: Ed25519PublicKey):
        self.site_dir, self.snapshot_dir, self.public_key = site_dir, snapshot_dir, public_key
        self._verified: dict[str, signing.Manifest | None] = {}
        self._lock = threading.Lock()

    def _manifest(self, base: Path) -> signing.Manifest | None:
        raw, sig = _read(base, signing.MANIFEST), _read(base, signing.SIGNATURE)
        if raw is None or sig is None:
            return None
        key = signing.sha256(raw + b"\n" + sig)
        with self._lock:
            if key in self._verified:
                return self._verified[key]
        verified = signing.manifest_verify(self.public_key, raw, sig)
        with self._lock:
            if len(self._verified) > 64:
                self._verified.clear()
            self._verified[key] = verified
        return verified

    def manifests(self) -> tuple[signing.Manifest | None, signing.Manifest | None, list[tuple[str, str]]]:
        """(the manifest to serve by, the snapshot's, problems): the newer of the two verified ones."""
        site, snapshot = self._manifest(self.site_dir), self._manifest(self.snapshot_dir)
        problems = []
        if site is None:
            problems.append(("manifest", "the site's manifest is missing or its signature does not verify"))
        if snapshot is None:
            problems.append(("snapshot", "the snapshot's manifest is missing or its signature does not verify"))
        chosen = site
        if snapshot is not None and (site is None or snapshot.as_of > site.as_of):
            chosen = snapshot
            if site is not None:
                problems.append(("rollback", "the site's manifest is older than the snapshot's"))
        return chosen, snapshot, problems

    def fetch(self, path: str) -> Fetched:
        if path == signing.PUBLIC_KEY:  # the public key is served as configured, never as found in the site
            return Fetched(signing.public_pem(self.public_key), "key")
        manifest, _snapshot, problems = self.manifests()
        if manifest is None:
            return Fetched(None, problems=problems)
        if path in (signing.MANIFEST, signing.SIGNATURE):  # the verified pair itself
            base = self.site_dir if (self._manifest(self.site_dir) or None) == manifest else self.snapshot_dir
            return Fetched(_read(base, path), "site" if base == self.site_dir else "snapshot", problems)
        expected = manifest.files.get(path)
        if expected is None:
            if (self.site_dir / path).is_file():
                problems.append(("unlisted", f"{path} is in the site but not in the signed manifest"))
            return Fetched(None, problems=problems, listed=False)
        body = _read(self.site_dir, path)
        if body is not None and signing.sha256(body) == expected:
            return Fetched(body, "site", problems)
        problems.append(("changed" if body is not None else "missing",
                         f"{path}: sha256 {signing.sha256(body) if body is not None else '-'} is not the signed "
                         f"{expected}"))
        body = _read(self.snapshot_dir, path)
        if body is not None and signing.sha256(body) == expected:
            return Fetched(body, "snapshot", problems)
        return Fetched(None, problems=problems)

    def fetch_unverified(self, path: str) -> Fetched:
        """The file as found (verification off: only to measure what verification costs)."""
        return Fetched(_read(self.site_dir, path), "site")


def unlisted_files(base: Path, manifest: signing.Manifest) -> list[str]:
    found = []
    for folder, _dirs, names in os.walk(base):
        for name in names:
            path = (Path(folder) / name).relative_to(base).as_posix()
            if path not in manifest.files and path not in signing.SIGNED_SELF:
                found.append(path)
    return sorted(found)


def site_restore(*, site_dir: Path, snapshot_dir: Path, public_key: Ed25519PublicKey) -> list[str]:
    """Make the site directory equal to the verified snapshot; the paths restored or removed. Nothing is
    done when the snapshot itself does not verify."""
    reader = SiteReader(site_dir=site_dir, snapshot_dir=snapshot_dir, public_key=public_key)
    snapshot = reader._manifest(snapshot_dir)
    if snapshot is None:
        return []
    done = []
    for path in [*snapshot.files, signing.MANIFEST, signing.SIGNATURE, signing.PUBLIC_KEY]:
        good = _read(snapshot_dir, path)
        if good is None or (path in snapshot.files and signing.sha256(good) != snapshot.files[path]):
            continue
        if _read(site_dir, path) != good:
            target = site_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.with_name(f".{target.name}.restore")
            staging.write_bytes(good)
            os.replace(staging, target)
            done.append(f"restored {path}")
    for path in unlisted_files(site_dir, snapshot):
        (site_dir / path).unlink(missing_ok=True)
        done.append(f"removed {path}")
    return done
