"""The library as a package: every module imports with numpy and scipy alone, and the standalone
distribution (``fangkong/epi/pyproject.toml``) packages every sub-package with the platform's version ranges.

The proof that it installs and passes its tests without Django is ``make test-epi-standalone``
(``scripts/test-epi-standalone.sh``); these tests keep its description of the package honest.
"""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest

import fangkong.epi

HERE = Path(fangkong.epi.__file__).parent
LIBRARY_PYPROJECT = HERE / "pyproject.toml"
PLATFORM_PYPROJECT = HERE.parents[1] / "pyproject.toml"


def source_tree_only():
    if not (LIBRARY_PYPROJECT.exists() and PLATFORM_PYPROJECT.exists()):
        pytest.skip("runs in the source tree (the installed library has no pyproject.toml)")
    library = tomllib.loads(LIBRARY_PYPROJECT.read_text(encoding="utf-8"))
    platform = tomllib.loads(PLATFORM_PYPROJECT.read_text(encoding="utf-8"))
    return library, platform


def test_every_module_imports():
    names = [info.name for info in pkgutil.walk_packages(fangkong.epi.__path__, "fangkong.epi.")]
    assert "fangkong.epi.detection.ears" in names and "fangkong.epi.simulate.writer" in names
    for name in names:
        importlib.import_module(name)


def test_the_distribution_packages_every_sub_package_of_the_source():
    library, _ = source_tree_only()
    declared = set(library["tool"]["setuptools"]["packages"])
    found = {"fangkong.epi"} | {
        "fangkong.epi." + ".".join(init.parent.relative_to(HERE).parts)
        for init in HERE.rglob("__init__.py")
        if init.parent != HERE and not {"build", "__pycache__"} & set(init.relative_to(HERE).parts)
    }
    assert declared == found


def test_the_distribution_asks_for_the_platforms_versions_of_numpy_scipy_and_pyarrow():
    library, platform = source_tree_only()

    def ranges(requirements):
        return {r.split(">")[0].split("<")[0].split("[")[0]: r for r in requirements}

    platform_ranges = ranges(platform["project"]["dependencies"])
    library_ranges = ranges(library["project"]["dependencies"] + library["project"]["optional-dependencies"]["files"])
    assert set(library_ranges) == {"numpy", "scipy", "pyarrow"}
    for name, requirement in library_ranges.items():
        assert platform_ranges[name] == requirement
    assert library["project"]["version"] == fangkong.epi.__version__
