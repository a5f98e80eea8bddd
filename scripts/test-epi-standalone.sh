#!/usr/bin/env bash
# fangkong.epi as the library a statistician installs on its own (make test-epi-standalone, part of make test):
#
#   1. a fresh virtual environment in a temporary folder, made by the given Python (no system packages);
#   2. `pip install fangkong/epi[test]` from a copy of the source folder: numpy, scipy, pytest, hypothesis
#      (pyarrow, the optional `files` extra, is left out on purpose);
#   3. Django and pyarrow must be absent there, and `fangkong.epi` must come from the installed copy;
#   4. the library's tests run from the installed copy (`pytest --pyargs fangkong.epi.tests`), so the
#      distribution is proven complete (modules, test fixtures), without Django or pytest-django;
#   5. one test file again from this source tree, through the project's conftest.py and pytest settings,
#      which must not need Django either.
#
# pip reaches PyPI (here and in CI) and reuses its cache, so a second run downloads nothing; every step
# is bounded by `timeout`. Usage: scripts/test-epi-standalone.sh PYTHON   (PYTHON >= 3.12)
set -euo pipefail

python=${1:?usage: $0 PYTHON}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fangkong-epi-standalone.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fangkong-epi standalone: fresh virtual environment in $work"
# A copy, so that the build's own folders (build/, *.egg-info) never land in the source tree.
cp -r "$repo/fangkong/epi" "$work/src"
find "$work/src" \( -name __pycache__ -o -name build -o -name '*.egg-info' \) -prune -exec rm -rf {} +
timeout 120 "$python" -m venv "$work/venv"
venv_python="$work/venv/bin/python"
timeout 900 "$venv_python" -m pip install --quiet --disable-pip-version-check "$work/src[test]"

cd "$work"  # not the repository: its fangkong/ folder must not shadow the installed package
"$venv_python" - <<'PY'
import importlib.util
import pkgutil
import sys
from importlib import import_module

for absent in ("django", "pytest_django", "pyarrow"):
    if importlib.util.find_spec(absent) is not None:
        sys.exit(f"fangkong-epi standalone: {absent} is installed in the fresh environment, it must not be")
import fangkong.epi

if "site-packages" not in fangkong.epi.__file__:
    sys.exit(f"fangkong-epi standalone: fangkong.epi imported from {fangkong.epi.__file__}, not the installed copy")
modules = [info.name for info in pkgutil.walk_packages(fangkong.epi.__path__, "fangkong.epi.")]
for name in modules:
    import_module(name)  # every module imports with numpy and scipy alone
print(f"fangkong-epi standalone: {len(modules)} modules import without Django and pyarrow")
PY
printf '[pytest]\naddopts = -p no:cacheprovider\n' > pytest.ini
timeout 1200 "$venv_python" -m pytest -c pytest.ini --rootdir "$work" --import-mode=importlib -q \
    --pyargs fangkong.epi.tests

cd "$repo"
timeout 300 "$venv_python" -m pytest -p no:cacheprovider -q fangkong/epi/tests/test_series.py
echo "fangkong-epi standalone: installed and tested without Django"
