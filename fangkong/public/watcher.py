"""The watcher: checks the public site from outside the server, as a visitor sees it, and on disk where it
can read it.

Over HTTP it fetches the signed manifest and every file it lists, and compares each body's SHA-256 with the
signed one; it reads every link of every page and reports those to files the manifest does not list or to
another origin; it checks that the public key served is the configured one. On disk (where the watcher
runs on the publishing host) it compares every file of the site directory with the manifest, reports
files the manifest does not list and a manifest whose signature fails — and restores the last signed
snapshot there. Every finding goes to the audit trail and the three lists (``services.tampering_report``).
The reference is the newest manifest that verifies with the configured public key: the one served, or the
snapshot's.

Rollback (an older, validly signed edition put back, in both directories): the signed edition record
(``edition.json``) carries the edition number; the watcher compares the number served and the numbers on
disk with the highest it knows — the latest published edition in the database, and the edition mark it
keeps in the state directory — and where it can write the site and has the database and key, writes the
latest edition again (``services.edition_rewrite``).
"""

from __future__ import annotations

import html.parser
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from . import conf, services, signing, store

Fetch = Callable[[str], tuple[int, bytes]]


def http_fetch(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "fangkong-public-watcher"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - the configured site's URL
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset", "poster", "data") and value:
                self.links.append(value.split()[0])


def links_of(body: bytes) -> list[str]:
    parser = _Links()
    parser.feed(body.decode("utf-8", errors="replace"))
    return parser.links


@dataclass
class WatchReport:
    checked: int = 0
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # kind, path, detail
    restored: list[str] = field(default_factory=list)


def default_base_url() -> str:
    return getattr(settings, "PUBLIC_WATCH_URL", "") or os.environ.get("FANGKONG_PUBLIC_WATCH_URL") \
        or "http://127.0.0.1:8000/public/"


def watch(*, base_url: str | None = None, fetch: Fetch | None = None, restore: bool = True,
          site_dir: Path | None = None, snapshot_dir: Path | None = None) -> WatchReport:
    base = (base_url or default_base_url()).rstrip("/") + "/"
    fetch = fetch or http_fetch
    site_dir, snapshot_dir = site_dir or conf.site_dir(), snapshot_dir or conf.snapshot_dir()
    key = signing.public_key_load(conf.verify_key_path())
    report = WatchReport()

    def found(kind: str, path: str, detail: str) -> None:
        report.findings.append((kind, path, detail))

    # the reference: the newest manifest that verifies (served, or the snapshot's on disk)
    m_status, m_body = fetch(base + signing.MANIFEST)
    s_status, s_body = fetch(base + signing.SIGNATURE)
    served = signing.manifest_verify(key, m_body, s_body) if m_status == 200 and s_status == 200 else None
    if served is None:
        found("http-manifest", signing.MANIFEST, f"the served manifest does not verify (HTTP {m_status}/{s_status})")
    reader = store.SiteReader(site_dir=site_dir, snapshot_dir=snapshot_dir, public_key=key)
    on_disk = reader._manifest(snapshot_dir) if snapshot_dir.exists() else None
    reference = max((m for m in (served, on_disk) if m is not None), key=lambda m: m.as_of, default=None)
    if reference is None:
        found("no-reference", "-", "no manifest verifies with the configured public key")
        return _finish(report)
    expected_serial = _check_rollback(report, fetch, base, key, served, reader)
    k_status, k_body = fetch(base + signing.PUBLIC_KEY)
    if k_status != 200 or k_body != signing.public_pem(key):
        found("http-key", signing.PUBLIC_KEY, "the public key served is not the configured one")
    origin = urlsplit(base)
    for path, expected in sorted(reference.files.items()):
        status, body = fetch(base + path)
        report.checked += 1
        if status != 200:
            found("http-missing", path, f"HTTP {status}")
            continue
        if signing.sha256(body) != expected:
            found("http-changed", path, f"served sha256 {signing.sha256(body)} is not the signed {expected}")
        if path.endswith(".html"):
            for link in links_of(body):
                target = urlsplit(urljoin(base + path, link))
                if target.scheme in ("mailto", "tel"):
                    continue
                if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
                    found("http-foreign-link", path, f"link to another origin: {link[:200]}")
                    continue
                if not target.path.startswith(origin.path):
                    continue
                linked = target.path[len(origin.path):]
                linked = linked + "index.html" if linked == "" or linked.endswith("/") else linked
                if linked not in reference.files and linked not in signing.SIGNED_SELF:
                    found("http-unlisted-link", path, f"link to a file the manifest does not list: {link[:200]}")
    _check_disk(report, reader, reference, site_dir)
    if restore and any(kind.startswith("disk-") for kind, _p, _d in report.findings) and os.access(site_dir, os.W_OK):
        report.restored = store.site_restore(site_dir=site_dir, snapshot_dir=snapshot_dir, public_key=key)
    if restore and expected_serial and any(kind == "disk-rollback" for kind, _p, _d in report.findings) \
            and os.access(site_dir, os.W_OK):
        report.restored.extend(_rewrite_latest(expected_serial))
    return _finish(report)


def _latest_published_serial() -> int:
    try:
        latest = services.publication_latest()
    except Exception:  # noqa: BLE001 - a watcher without the database still compares with its edition mark
        return 0
    return latest.serial if latest is not None else 0


def _check_rollback(report: WatchReport, fetch: Fetch, base: str, key, served: signing.Manifest | None,
                    reader: store.SiteReader) -> int:
    """Findings when the edition served or on disk is older than the latest known; the latest number."""
    mark = store.EditionMark(conf.state_dir())
    expected = max(_latest_published_serial(), mark.current())
    e_status, e_body = fetch(base + signing.EDITION)
    es_status, es_body = fetch(base + signing.EDITION_SIGNATURE)
    edition = signing.edition_verify(key, e_body, es_body) if e_status == 200 and es_status == 200 else None
    if served is not None:
        if edition is None or edition.manifest_sha256 != served.raw_sha256:
            report.findings.append(("http-edition", signing.EDITION,
                                    "the served edition record is missing, does not verify or is not the served "
                                    "manifest's"))
        elif edition.serial < expected:
            report.findings.append(("http-rollback", signing.EDITION,
                                    f"edition {edition.serial} is served; edition {expected} is the latest published"))
    for base_dir, kind in ((reader.site_dir, "disk-rollback"), (reader.snapshot_dir, "disk-rollback")):
        manifest = reader._manifest(base_dir) if base_dir.exists() else None
        if manifest is None:
            continue
        on_disk = reader.edition(base_dir, manifest)
        serial = on_disk.serial if on_disk else 0
        if serial < expected:
            report.findings.append((kind, base_dir.name, f"edition {serial or '(unnumbered)'} is in {base_dir}; "
                                                         f"edition {expected} is the latest published"))
    if edition is not None and served is not None and edition.manifest_sha256 == served.raw_sha256:
        mark.raise_to(edition.serial, served.raw_sha256)
    return expected


def _rewrite_latest(expected_serial: int) -> list[str]:
    try:
        latest = services.publication_latest()
        if latest is None or latest.serial != expected_serial:
            return []
        count = services.edition_rewrite(latest)
    except Exception:  # noqa: BLE001 - no database or no signing key here: reported, not repaired
        services.log.exception("the watcher could not write the latest edition again")
        return []
    return [f"rewrote edition {expected_serial} ({count} files) from the database"]


def _check_disk(report: WatchReport, reader: store.SiteReader, reference: signing.Manifest, site_dir: Path) -> None:
    if not site_dir.exists():
        return
    on_site = reader._manifest(site_dir)
    if on_site is None:
        report.findings.append(("disk-manifest", signing.MANIFEST,
                                "the site's manifest is missing or its signature does not verify"))
    elif on_site.raw_sha256 != reference.raw_sha256:
        report.findings.append(("disk-manifest", signing.MANIFEST, "the site's manifest is not the newest signed one"))
    if (site_dir / signing.PUBLIC_KEY).exists() and \
            (site_dir / signing.PUBLIC_KEY).read_bytes() != signing.public_pem(reader.public_key):
        report.findings.append(("disk-key", signing.PUBLIC_KEY, "the site's public-key.pem is not the configured key"))
    for path, expected in sorted(reference.files.items()):
        try:
            body = (site_dir / path).read_bytes()
        except OSError:
            report.findings.append(("disk-missing", path, "missing from the site directory"))
            continue
        if signing.sha256(body) != expected:
            report.findings.append(("disk-changed", path,
                                    f"sha256 {signing.sha256(body)} on disk is not the signed {expected}"))
    for path in store.unlisted_files(site_dir, reference):
        report.findings.append(("disk-unlisted", path, "in the site directory but not in the signed manifest"))


def _finish(report: WatchReport) -> WatchReport:
    for kind, path, detail in report.findings:
        services.tampering_report(kind=kind, path=path, detail=detail, found_by="watcher")
    if report.restored:
        services.tampering_report(kind="restored", path="-", detail="; ".join(report.restored)[:1000],
                                  found_by="watcher")
    return report
