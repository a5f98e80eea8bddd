"""Settings of the public site, each with its default (a setting of the same name, or the environment).

- ``PUBLIC_SITE_DIR``: where the publish action writes the site (HTML, JSON, CSV, assets, the signed
  manifest); the public pages read only from here. Default ``var/public/site``.
- ``PUBLIC_SNAPSHOT_DIR``: the last good signed edition, copied at each publish; served in place of a file
  that fails verification, and restored from by the watcher. Default ``var/public/snapshot``.
- ``PUBLIC_SIGNING_KEY``: the Ed25519 private key (PEM), kept outside both directories; only the publishing
  host has it. Default ``var/public-keys/site-signing.pem`` (the demo generates one).
- ``PUBLIC_VERIFY_KEY``: the public key (PEM) the server and the watcher verify with; on a separate
  read-only public host this is the only key present. Default: the signing key's ``.pub`` next to it.
- ``PUBLIC_STATE_DIR``: what the server and the watcher remember between requests and runs, outside the
  served directories: the highest edition number seen (``store.EditionMark``). Default ``var/public-state``.
- ``PUBLIC_SITE_REGION``: the region whose public site this is (default the province, 440000).
- ``PUBLIC_VERIFY``: verification when served (default on; off only to measure its cost).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def _path(name: str, default: Path) -> Path:
    value = getattr(settings, name, None) or os.environ.get(f"FANGKONG_{name}")
    return Path(value) if value else default


NAMES = ("PUBLIC_SITE_DIR", "PUBLIC_SNAPSHOT_DIR", "PUBLIC_SIGNING_KEY", "PUBLIC_VERIFY_KEY", "PUBLIC_STATE_DIR",
         "PUBLIC_VERIFY")


def fingerprint() -> tuple:
    """The raw values of the settings that decide where and how the site is read (cheap: no paths built), so a
    server can keep what it built from them until they change."""
    return tuple((getattr(settings, name, None), os.environ.get(f"FANGKONG_{name}")) for name in NAMES)


def site_dir() -> Path:
    return _path("PUBLIC_SITE_DIR", settings.VAR_DIR / "public" / "site")


def snapshot_dir() -> Path:
    return _path("PUBLIC_SNAPSHOT_DIR", settings.VAR_DIR / "public" / "snapshot")


def state_dir() -> Path:
    return _path("PUBLIC_STATE_DIR", settings.VAR_DIR / "public-state")


def signing_key_path() -> Path:
    return _path("PUBLIC_SIGNING_KEY", settings.VAR_DIR / "public-keys" / "site-signing.pem")


def verify_key_path() -> Path:
    key = signing_key_path()
    return _path("PUBLIC_VERIFY_KEY", key.with_name(key.name + ".pub"))


def site_region() -> str:
    return str(getattr(settings, "PUBLIC_SITE_REGION", "") or os.environ.get("FANGKONG_PUBLIC_SITE_REGION")
               or "440000")


def verify_enabled() -> bool:
    value = getattr(settings, "PUBLIC_VERIFY", None)
    if value is None:
        value = os.environ.get("FANGKONG_PUBLIC_VERIFY", "1") not in ("0", "false", "off")
    return bool(value)
