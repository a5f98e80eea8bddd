#!/usr/bin/env python3
"""Vendor fangkong's front-end assets from the npm registry, with their licences.

fangkong runs on isolated government intranets, so no page may load anything
from a CDN: every JavaScript, CSS and font file the templates use is committed
under ``fangkong/static/vendor/``. This script is the only way those files get
there.

For each pinned package below it

1. asks the registry for ``dist.integrity`` (``npm view NAME@VERSION dist.integrity``)
   and checks that it equals the sha512 pinned here;
2. runs ``npm pack NAME@VERSION`` into a temporary directory (no node_modules,
   no install scripts) and checks the tarball's own sha512 against that value;
3. copies ONLY the listed files (plus the licence files) out of the tarball into
   ``fangkong/static/vendor/<dir>/``, deletes anything else in that directory,
   and records name, version, integrity, licence and the sha256 of every file in
   ``fangkong/static/vendor/MANIFEST.json``.

Re-running it gives byte-identical files (it is idempotent).

``--check`` needs no network and no npm: it verifies that the committed files
match MANIFEST.json (sha256, size, no missing or stray files) and that the
manifest matches the pins in this script. A test can call it::

    spec = importlib.util.spec_from_file_location("vendor_assets", "scripts/vendor_assets.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    assert mod.check() == []

Updating a package: change its ``version``, set ``integrity`` to ``None``, run
the script once (it prints the registry's sha512 and refuses to continue), paste
that value into ``integrity`` after checking it, and run it again. See
docs/vendored-assets.md.

Standard library only; needs ``npm`` on PATH except for ``--check``.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STATIC_ROOT = REPO_ROOT / "fangkong" / "static"
VENDOR_DIR = STATIC_ROOT / "vendor"
MANIFEST_NAME = "MANIFEST.json"

# Noto Sans SC: the weights to ship. Both together are about 5 MB of woff2
# (97 unicode-range slices + the latin subset per weight); the brief's limit was
# ~25 MB, above which only 400 would be kept.
FONT_WEIGHTS = (400, 700)


@dataclass(frozen=True)
class Package:
    name: str  # npm package name
    version: str  # exact version, never a range
    integrity: str | None  # npm dist.integrity (sha512-...), pinned; None only while updating
    licence: str  # SPDX identifier
    dir: str  # directory under fangkong/static/vendor/
    # tarball path (relative to "package/") -> path under vendor/<dir>/
    files: dict[str, str] = field(default_factory=dict)
    # licence / notice files, copied with the same name unless mapped
    licence_files: dict[str, str] = field(default_factory=dict)
    # optional: computes extra files from the tarball (e.g. font slices + CSS)
    generator: str | None = None


PACKAGES: tuple[Package, ...] = (
    Package(
        name="htmx.org",
        version="4.0.1",
        integrity="sha512-oF7JgXhDW9UXCy/k1ZYFUQgzu/rm19ORWPSPNL91vPluB2PB9+MV55tyQdH/w7o2EAbTYUG5SDW1R60mdkdqGg==",
        licence="0BSD",
        dir="htmx.org",
        files={"dist/htmx.min.js": "htmx.min.js"},
        licence_files={"LICENSE": "LICENSE"},
    ),
    Package(
        name="echarts",
        version="6.1.0",
        integrity="sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA==",
        licence="Apache-2.0",
        dir="echarts",
        # the full build: every chart type, geo/map, graph, etc.
        files={"dist/echarts.min.js": "echarts.min.js"},
        # Apache-2.0 section 4(d): the NOTICE file travels with the work;
        # licenses/LICENSE-d3 covers the d3 code bundled in echarts.
        licence_files={
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            "licenses/LICENSE-d3": "licenses/LICENSE-d3",
        },
    ),
    Package(
        name="swagger-ui-dist",
        version="5.35.0",
        integrity="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        licence="Apache-2.0",
        dir="swagger-ui-dist",
        files={
            "swagger-ui.css": "swagger-ui.css",
            # swagger-ui.css ends with "sourceMappingURL=swagger-ui.css.map";
            # Django's ManifestStaticFilesStorage rewrites that reference and
            # fails collectstatic if the file is missing, so it is shipped too.
            "swagger-ui.css.map": "swagger-ui.css.map",
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui-standalone-preset.js": "swagger-ui-standalone-preset.js",
            "favicon-32x32.png": "favicon-32x32.png",
        },
        licence_files={
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            # third-party licence headers extracted from the minified bundles
            "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui-standalone-preset.js.LICENSE.txt": "swagger-ui-standalone-preset.js.LICENSE.txt",
        },
    ),
    Package(
        name="@fontsource/noto-sans-sc",
        version="5.3.0",
        integrity="sha512-HeqIlGm0+ohOKxZLuHj1qW6r6avHH0OWdKERAcSDI0RQ+MXrteuLKA+M+5eOA8rYy0MFvOR5AT0fQo2rUkye0Q==",
        licence="OFL-1.1",
        dir="noto-sans-sc",
        licence_files={"LICENSE": "LICENSE"},
        generator="fontsource",
    ),
)


# --------------------------------------------------------------------------- helpers


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _npm() -> str:
    npm = shutil.which("npm")
    if not npm:
        raise SystemExit("npm is not on PATH (it is needed to fetch packages; --check does not need it)")
    return npm


def _run_npm(args: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [_npm(), *args],
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return proc.stdout


def registry_integrity(pkg: Package) -> str:
    out = _run_npm(["view", f"{pkg.name}@{pkg.version}", "dist.integrity"]).strip()
    if not out.startswith("sha512-"):
        raise SystemExit(f"{pkg.name}@{pkg.version}: registry gave no sha512 integrity ({out!r})")
    return out


def npm_pack(pkg: Package, dest: Path) -> Path:
    out = _run_npm(
        ["pack", f"{pkg.name}@{pkg.version}", "--pack-destination", str(dest), "--ignore-scripts", "--json"],
        cwd=dest,
    )
    info = json.loads(out)
    if isinstance(info, list):
        info = info[0]
    if info.get("name") != pkg.name or info.get("version") != pkg.version:
        raise SystemExit(
            f"npm pack returned {info.get('name')}@{info.get('version')}, wanted {pkg.name}@{pkg.version}"
        )
    tarball = dest / info["filename"]
    if not tarball.is_file():
        raise SystemExit(f"npm pack did not produce {tarball}")
    return tarball


class Tarball:
    """Read-only access to the members of an npm tarball (never extracts it)."""

    def __init__(self, path: Path):
        self._tf = tarfile.open(path, "r:gz")  # closed by close()
        self._members = {
            m.name.split("/", 1)[1]: m for m in self._tf.getmembers() if m.isfile() and "/" in m.name
        }

    def names(self) -> list[str]:
        return sorted(self._members)

    def read(self, name: str) -> bytes:
        member = self._members.get(name)
        if member is None:
            raise SystemExit(f"tarball has no file {name!r}")
        fh = self._tf.extractfile(member)
        assert fh is not None
        return fh.read()

    def close(self) -> None:
        self._tf.close()


# --------------------------------------------------------------------------- fontsource

_FACE_RE = re.compile(r"/\* (?P<label>[^*]+?) \*/\s*@font-face\s*\{(?P<body>[^}]*)\}", re.S)
_WOFF2_RE = re.compile(r"url\(\./files/(?P<file>[A-Za-z0-9._-]+\.woff2)\) format\('woff2'\)")


def fontsource_files(pkg: Package, tar: Tarball) -> dict[str, bytes]:
    """The woff2 files for FONT_WEIGHTS and a CSS file with @font-face rules for them.

    fontsource's per-weight CSS (``400.css``) lists Google Fonts' CJK slicing:
    ~100 numbered files, each with a ``unicode-range``, that together cover the
    whole CJK repertoire of the font (12,000+ ideographs, CJK punctuation,
    full-width forms), plus the cyrillic, latin-ext, vietnamese and latin subsets.
    We keep the numbered slices and latin, woff2 only, and drop the .woff
    fallbacks (every browser the platform supports reads woff2). The single-file
    ``chinese-simplified`` subset is NOT used: it holds only ~7,300 ideographs,
    fewer than the slices. The browser fetches only the slices a page needs.
    """
    family = pkg.name.split("/")[-1]  # noto-sans-sc
    # comment labels look like "noto-sans-sc-[42]-400-normal" and "noto-sans-sc-latin-400-normal"
    keep = re.compile(rf"^{re.escape(family)}-(?:\[\d+\]|latin)-(?P<weight>\d+)-normal$")
    out: dict[str, bytes] = {}
    css_parts = [
        f"/* {pkg.name}@{pkg.version} ({pkg.licence}, see LICENSE) - generated by scripts/vendor_assets.py"
        f" from the package's {', '.join(f'{w}.css' for w in FONT_WEIGHTS)}.\n"
        " * Numbered files are unicode-range slices of the CJK repertoire; latin is Basic Latin and\n"
        " * Latin-1. Only woff2 is shipped. Do not edit: re-run the script. */\n"
    ]
    for weight in FONT_WEIGHTS:
        css = tar.read(f"{weight}.css").decode("utf-8")
        faces = 0
        for m in _FACE_RE.finditer(css):
            label = m.group("label").strip()
            km = keep.match(label)
            if not km or int(km.group("weight")) != weight:
                continue
            body = m.group("body")
            fm = _WOFF2_RE.search(body)
            if not fm:
                raise SystemExit(f"{weight}.css: no woff2 url in @font-face {label}")
            fname = fm.group("file")
            out[f"files/{fname}"] = tar.read(f"files/{fname}")
            # keep every descriptor but make src woff2-only, pointing at the relative file
            lines = [ln.strip() for ln in body.strip().splitlines() if ln.strip()]
            lines = [
                f"src: url(./files/{fname}) format('woff2');" if ln.startswith("src:") else ln for ln in lines
            ]
            css_parts.append(f"/* {label} */\n@font-face {{\n" + "".join(f"  {ln}\n" for ln in lines) + "}\n")
            faces += 1
        if faces < 2:
            raise SystemExit(
                f"{weight}.css: found only {faces} usable @font-face rules; package layout changed?"
            )
    out[f"{family}.css"] = "\n".join(css_parts).encode("utf-8")
    return out


GENERATORS: dict[str, Callable[[Package, Tarball], dict[str, bytes]]] = {"fontsource": fontsource_files}


# --------------------------------------------------------------------------- vendoring


def collect(pkg: Package, tar: Tarball) -> dict[str, dict]:
    """Map of path-under-vendor/<dir>/ -> {"source", "data"} for one package."""
    items: dict[str, dict] = {}
    for src, dst in {**pkg.files, **pkg.licence_files}.items():
        items[dst] = {"source": src, "data": tar.read(src)}
    if pkg.generator:
        for dst, data in GENERATORS[pkg.generator](pkg, tar).items():
            src = dst if dst.startswith("files/") else "(generated from package CSS)"
            items[dst] = {"source": src, "data": data}
    return items


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def _prune(root: Path, keep: set[Path]) -> list[Path]:
    removed = []
    if not root.exists():
        return removed
    for p in sorted(root.rglob("*"), reverse=True):
        if p.is_file() and p not in keep:
            p.unlink()
            removed.append(p)
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()
    return removed


def vendor(vendor_dir: Path = VENDOR_DIR, packages: tuple[Package, ...] = PACKAGES) -> dict:
    manifest_pkgs = []
    with tempfile.TemporaryDirectory(prefix="fangkong-vendor-") as tmp:
        for pkg in packages:
            reg = registry_integrity(pkg)
            if pkg.integrity is None:
                raise SystemExit(
                    f"{pkg.name}@{pkg.version}: no integrity pinned. The registry says\n    {reg}\n"
                    "Check it, paste it into PACKAGES in scripts/vendor_assets.py, and run again."
                )
            if reg != pkg.integrity:
                raise SystemExit(
                    f"{pkg.name}@{pkg.version}: registry integrity {reg} != pinned {pkg.integrity}. Refusing."
                )
            tarball = npm_pack(pkg, Path(tmp))
            got = sri_sha512(tarball.read_bytes())
            if got != pkg.integrity:
                raise SystemExit(f"{pkg.name}@{pkg.version}: tarball sha512 {got} != pinned {pkg.integrity}")
            tar = Tarball(tarball)
            try:
                pkg_json = json.loads(tar.read("package.json"))
                if pkg_json.get("version") != pkg.version or pkg_json.get("name") != pkg.name:
                    raise SystemExit(
                        f"{tarball.name}: package.json says {pkg_json.get('name')}@{pkg_json.get('version')}"
                    )
                declared = pkg_json.get("license")
                if declared != pkg.licence and not (pkg.licence == "0BSD" and declared == "BSD-0-Clause"):
                    raise SystemExit(
                        f"{pkg.name}: package.json licence {declared!r} != expected {pkg.licence!r}"
                    )
                items = collect(pkg, tar)
            finally:
                tar.close()

            root = vendor_dir / pkg.dir
            written = 0
            keep = set()
            files = []
            for rel in sorted(items):
                data = items[rel]["data"]
                target = root / rel
                keep.add(target)
                written += _write_if_changed(target, data)
                files.append(
                    {
                        "path": f"vendor/{pkg.dir}/{rel}",
                        "source": items[rel]["source"],
                        "sha256": sha256_hex(data),
                        "size": len(data),
                    }
                )
            removed = _prune(root, keep)
            total = sum(f["size"] for f in files)
            print(
                f"{pkg.name}@{pkg.version}: {len(files)} files, {total / 1e6:.2f} MB "
                f"({written} written, {len(removed)} removed) -> {root.relative_to(REPO_ROOT)}"
            )
            manifest_pkgs.append(
                {
                    "name": pkg.name,
                    "version": pkg.version,
                    "integrity": pkg.integrity,
                    "licence": pkg.licence,
                    "dir": f"vendor/{pkg.dir}",
                    "files": files,
                }
            )
    manifest = {
        "comment": "Generated by scripts/vendor_assets.py; do not edit. Check with: "
        "python3 scripts/vendor_assets.py --check",
        "packages": manifest_pkgs,
    }
    _write_if_changed(vendor_dir / MANIFEST_NAME, manifest_bytes(manifest))
    known = {vendor_dir / p.dir for p in packages} | {vendor_dir / MANIFEST_NAME}
    for child in sorted(vendor_dir.iterdir()):
        if child not in known:
            print(f"warning: {child.relative_to(REPO_ROOT)} is not managed by this script", file=sys.stderr)
    total = sum(f["size"] for p in manifest_pkgs for f in p["files"])
    print(
        f"total vendored: {total / 1e6:.2f} MB; manifest {(vendor_dir / MANIFEST_NAME).relative_to(REPO_ROOT)}"
    )
    return manifest


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- check (offline)


def check(vendor_dir: Path | str = VENDOR_DIR, packages: tuple[Package, ...] = PACKAGES) -> list[str]:
    """Offline verification. Returns a list of problems; empty means all is well."""
    vendor_dir = Path(vendor_dir)
    problems: list[str] = []
    mpath = vendor_dir / MANIFEST_NAME
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"cannot read {mpath}: {exc}"]

    by_name = {p.get("name"): p for p in manifest.get("packages", [])}
    pinned = {p.name: p for p in packages}
    for name in sorted(set(by_name) - set(pinned)):
        problems.append(f"manifest lists {name}, which scripts/vendor_assets.py does not pin")
    expected_files: set[Path] = {mpath}
    for pkg in packages:
        entry = by_name.get(pkg.name)
        if entry is None:
            problems.append(
                f"{pkg.name}: pinned in the script but missing from the manifest (run the script)"
            )
            continue
        for key in ("version", "integrity", "licence"):
            if entry.get(key) != getattr(pkg, key):
                problems.append(
                    f"{pkg.name}: manifest {key} {entry.get(key)!r} != pinned {getattr(pkg, key)!r}"
                )
        if entry.get("dir") != f"vendor/{pkg.dir}":
            problems.append(f"{pkg.name}: manifest dir {entry.get('dir')!r} != vendor/{pkg.dir}")
        paths = {f.get("path") for f in entry.get("files", [])}
        for src, dst in {**pkg.files, **pkg.licence_files}.items():
            if f"vendor/{pkg.dir}/{dst}" not in paths:
                problems.append(f"{pkg.name}: {src} is pinned but not in the manifest")
        for f in entry.get("files", []):
            rel = f.get("path", "")
            if not rel.startswith(f"vendor/{pkg.dir}/") or ".." in Path(rel).parts:
                problems.append(f"{pkg.name}: bad path in manifest: {rel!r}")
                continue
            path = vendor_dir / rel.removeprefix("vendor/")
            expected_files.add(path)
            try:
                data = path.read_bytes()
            except OSError:
                problems.append(f"missing: {rel}")
                continue
            if len(data) != f.get("size"):
                problems.append(f"size mismatch: {rel} ({len(data)} != {f.get('size')})")
            if sha256_hex(data) != f.get("sha256"):
                problems.append(f"sha256 mismatch: {rel}")
    for pkg in packages:
        root = vendor_dir / pkg.dir
        if root.exists():
            for p in sorted(root.rglob("*")):
                if p.is_file() and p not in expected_files:
                    problems.append(
                        f"stray file not in manifest: vendor/{p.relative_to(vendor_dir).as_posix()}"
                    )
    return problems


# --------------------------------------------------------------------------- cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify committed files against MANIFEST.json and the pins, offline; exit 1 on any problem",
    )
    parser.add_argument("--vendor-dir", type=Path, default=VENDOR_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.vendor_dir)
        for p in problems:
            print(p, file=sys.stderr)
        if problems:
            print(
                f"vendored assets: {len(problems)} problem(s); re-run scripts/vendor_assets.py",
                file=sys.stderr,
            )
            return 1
        print("vendored assets match MANIFEST.json")
        return 0
    args.vendor_dir.mkdir(parents=True, exist_ok=True)
    vendor(args.vendor_dir)
    problems = check(args.vendor_dir)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
