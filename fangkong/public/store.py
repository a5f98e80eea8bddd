"""The published files on disk: written by the publish action, read and verified by the public server,
restored by the watcher. No database here: a separate public host needs only the two directories and the
public key.

- ``edition_write``: the edition (files + manifest + signature) into the snapshot directory, then into the
  site directory, each built beside its target and swapped in by renaming;
- ``SiteReader.fetch(path)``: the body of ``path`` if, and only if, its SHA-256 is the one the verified
  manifest lists — from the site directory, else from the snapshot — with what went wrong;
- ``site_restore``: the site directory made equal to the verified snapshot again (changed, missing and
  unlisted files), where the caller may write;
- ``EditionMark``: the highest edition number seen, kept in a file outside the served directories; an
  edition below it is a rollback (an older, validly signed edition put back) and is not served.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import signing

log = logging.getLogger("fangkong.public")
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
                  edition: bytes, edition_signature: bytes, site_dir: Path, snapshot_dir: Path) -> None:
    everything = {**files, signing.MANIFEST: manifest, signing.SIGNATURE: signature, signing.PUBLIC_KEY: public_pem,
                  signing.EDITION: edition, signing.EDITION_SIGNATURE: edition_signature}
    _write_tree(snapshot_dir, everything)
    _write_tree(site_dir, everything)


def _read(base: Path, path: str) -> bytes | None:
    try:
        return (base / path).read_bytes()
    except OSError:
        return None


class EditionMark:
    """The highest edition number seen (``edition-mark.json`` in the state directory, outside the served
    directories; written atomically, re-read whenever the file changes, so every worker process and every
    restart shares it). Where the file cannot be written (a read-only host without a state directory) the
    mark is kept in memory and the failure logged."""

    NAME = "edition-mark.json"

    def __init__(self, state_dir: Path | None):
        self.path = state_dir / self.NAME if state_dir else None
        self.serial, self._stat = 0, None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        if self.path is None:
            return
        try:
            stat = self.path.stat()
        except OSError:
            return
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key == self._stat:
            return
        try:
            self.serial = max(self.serial, int(json.loads(self.path.read_bytes())["serial"]))
            self._stat = key
        except (OSError, ValueError, KeyError, TypeError):
            log.error("the edition mark %s cannot be read", self.path)

    def current(self) -> int:
        with self._lock:
            self._refresh()
            return self.serial

    def raise_to(self, serial: int, manifest_sha256: str = "") -> None:
        """Record ``serial`` as seen (never lowers the mark)."""
        with self._lock:
            self._refresh()
            if serial <= self.serial:
                return
            self.serial = serial
            if self.path is None:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                staging = self.path.with_name(f".{self.NAME}.{os.getpid()}.{threading.get_ident()}")
                staging.write_text(json.dumps({"serial": serial, "manifest_sha256": manifest_sha256}) + "\n")
                os.replace(staging, self.path)
            except OSError:
                log.exception("the edition mark cannot be written to %s: kept in memory only", self.path)


#: A file whose status changed less than this long ago is read and hashed again at every request: a write in
#: the same clock tick as the reading could leave its status (ctime) as it was ("racily clean", as git says).
RACY_NS = 2_000_000_000


def _identity(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class FileCache:
    """Files' bytes and SHA-256 by their identity — device, inode, size, modification and status-change
    times — so that a file unchanged since it was read is neither read nor hashed again (git's index does the
    same). Any write to a file, or its replacement, changes its identity: a write changes its status-change
    time (ctime), which no process can set back without changing the system clock, and a replacement its
    inode; a file changed less than ``RACY_NS`` ago is never kept, and a file that changed while being read
    is not kept either. The verdict stays the server's: the SHA-256 kept is of the very bytes sent."""

    LIMIT = 4096

    def __init__(self):
        self._known: dict[str, tuple[tuple, bytes, str]] = {}
        self._lock = threading.Lock()

    def read(self, path: str) -> tuple[bytes | None, str]:
        identity = _identity(path)
        if identity is None:
            return None, ""
        known = self._known.get(path)
        if known is not None and known[0] == identity:
            return known[1], known[2]
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            return None, ""
        digest = signing.sha256(body)
        if time.time_ns() - identity[4] > RACY_NS and _identity(path) == identity:
            with self._lock:
                if len(self._known) >= self.LIMIT:
                    self._known.clear()
                self._known[path] = (identity, body, digest)
        return body, digest


@dataclass
class Fetched:
    """What the server may send for a path, and what it found on the way (``problems``: kind, detail)."""

    body: bytes | None
    source: str = ""  # "site" or "snapshot"
    problems: list[tuple[str, str]] = field(default_factory=list)
    listed: bool = True


class SiteReader:
    """Reads the site and its snapshot, verifying against the signed manifest. Every file is read through a
    ``FileCache`` (bytes and SHA-256 kept while the file's identity is unchanged), and verified manifests and
    edition records are kept by the SHA-256 of their bytes and signature."""

    def __init__(self, *, site_dir: Path, snapshot_dir: Path, public_key: Ed25519PublicKey,
                 mark: EditionMark | None = None):
        self.site_dir, self.snapshot_dir, self.public_key = site_dir, snapshot_dir, public_key
        self.mark = mark or EditionMark(None)
        self.verify = True  # off only to measure what verification costs (``conf.verify_enabled``)
        self._verified: dict[str, object] = {}
        self._lock = threading.Lock()
        self._files = FileCache()
        self._bases = {site_dir: str(site_dir), snapshot_dir: str(snapshot_dir)}

    def published(self) -> bool:
        """Whether anything was ever written here (the site or the snapshot directory exists)."""
        return any(os.path.isdir(base) for base in self._bases.values())

    def _read(self, base: Path, path: str) -> tuple[bytes | None, str]:
        """(bytes, sha256) of ``path`` under ``base`` (through the file cache)."""
        return self._files.read(os.path.join(self._bases.get(base) or str(base), path))

    def _verify_cached(self, key: str, verify):
        with self._lock:
            if key in self._verified:
                return self._verified[key]
        verified = verify()
        with self._lock:
            if len(self._verified) > 64:
                self._verified.clear()
            self._verified[key] = verified
        return verified

    def edition(self, base: Path, manifest: signing.Manifest | None) -> signing.Edition | None:
        """The verified edition record of ``base``, if it is the record of ``manifest``."""
        (raw, raw_sha), (sig, sig_sha) = self._read(base, signing.EDITION), self._read(base, signing.EDITION_SIGNATURE)
        if manifest is None or raw is None or sig is None:
            return None
        edition = self._verify_cached(f"edition:{raw_sha}:{sig_sha}",
                                      lambda: signing.edition_verify(self.public_key, raw, sig))
        return edition if edition is not None and edition.manifest_sha256 == manifest.raw_sha256 else None

    def _manifest(self, base: Path) -> signing.Manifest | None:
        (raw, raw_sha), (sig, sig_sha) = self._read(base, signing.MANIFEST), self._read(base, signing.SIGNATURE)
        if raw is None or sig is None:
            return None
        return self._verify_cached(f"manifest:{raw_sha}:{sig_sha}",
                                   lambda: signing.manifest_verify(self.public_key, raw, sig))

    def manifests(self) -> tuple[signing.Manifest | None, signing.Manifest | None, list[tuple[str, str]]]:
        """(the manifest to serve by, the snapshot's, problems): of the two verified ones, the later edition
        (by the signed edition number, then by ``as_of``) — and none when even that one is older than the
        highest edition already seen (a rollback: an older signed edition put back in both directories)."""
        site, snapshot = self._manifest(self.site_dir), self._manifest(self.snapshot_dir)
        problems = []
        if site is None:
            problems.append(("manifest", "the site's manifest is missing or its signature does not verify"))
        if snapshot is None:
            problems.append(("snapshot", "the snapshot's manifest is missing or its signature does not verify"))
        site_edition, snapshot_edition = self.edition(self.site_dir, site), self.edition(self.snapshot_dir, snapshot)
        site_serial = site_edition.serial if site_edition else 0
        snapshot_serial = snapshot_edition.serial if snapshot_edition else 0
        chosen, serial = site, site_serial
        if snapshot is not None and (site is None or (snapshot_serial, snapshot.as_of) > (site_serial, site.as_of)):
            chosen, serial = snapshot, snapshot_serial
            if site is not None:
                problems.append(("rollback", "the site's edition is older than the snapshot's"))
        if chosen is None:
            return None, snapshot, problems
        seen = self.mark.current()
        if serial < seen:
            problems.append(("rollback", f"edition {serial or '(unnumbered)'} is older than edition {seen}, already "
                                         "published: an older signed edition was put back; it is not served"))
            return None, snapshot, problems
        if serial > seen:
            self.mark.raise_to(serial, chosen.raw_sha256)
        return chosen, snapshot, problems

    def fetch(self, path: str) -> Fetched:
        if path == signing.PUBLIC_KEY:  # the public key is served as configured, never as found in the site
            return Fetched(signing.public_pem(self.public_key), "key")
        manifest, _snapshot, problems = self.manifests()
        if manifest is None:
            return Fetched(None, problems=problems)
        if path in (signing.MANIFEST, signing.SIGNATURE, signing.EDITION, signing.EDITION_SIGNATURE):
            base = self.site_dir if (self._manifest(self.site_dir) or None) == manifest else self.snapshot_dir
            return Fetched(self._read(base, path)[0], "site" if base == self.site_dir else "snapshot", problems)
        expected = manifest.files.get(path)
        if expected is None:
            if (self.site_dir / path).is_file():
                problems.append(("unlisted", f"{path} is in the site but not in the signed manifest"))
            return Fetched(None, problems=problems, listed=False)
        body, digest = self._read(self.site_dir, path)
        if body is not None and digest == expected:
            return Fetched(body, "site", problems)
        problems.append(("changed" if body is not None else "missing",
                         f"{path}: sha256 {digest or '-'} is not the signed {expected}"))
        body, digest = self._read(self.snapshot_dir, path)
        if body is not None and digest == expected:
            return Fetched(body, "snapshot", problems)
        return Fetched(None, problems=problems)

    def fetch_unverified(self, path: str) -> Fetched:
        """The file as found (verification off: only to measure what verification costs)."""
        return Fetched(self._read(self.site_dir, path)[0], "site")


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
    for path in [*snapshot.files, *signing.SIGNED_SELF]:
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
