"""The private-names import contract (``fangkong.checks.import_contracts``) finds what it must and only that."""

from __future__ import annotations

import sys

from fangkong.checks.import_contracts import private_imports


def test_private_names_of_another_module_are_found_whatever_the_import_form(tmp_path, monkeypatch):
    package = tmp_path / "kitpkg"
    for folder in (package, package / "a", package / "b"):
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    (package / "a" / "x.py").write_text("def _hidden(): ...\ndef shown(): ...\n")
    (package / "a" / "_inner.py").write_text("")
    (package / "a" / "z.py").write_text("from kitpkg.a.x import _hidden\nfrom .x import _hidden as h\n")
    (package / "b" / "y.py").write_text(
        "from kitpkg.a.x import (\n    shown,\n    _hidden,\n)\n"
        "from ..a.x import _hidden as again\n"
        "import kitpkg.a._inner\n"
        "from kitpkg.a import x\n"
        "from kitpkg.a.x import __doc__\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert private_imports("kitpkg.b.y", "kitpkg") == [
            ("kitpkg.a.x", "_hidden", 1), ("kitpkg.a.x", "_hidden", 5), ("kitpkg.a._inner", "", 6)]
        assert private_imports("kitpkg.a.z", "kitpkg") == []  # inside its own module: allowed
    finally:
        for name in [m for m in sys.modules if m.startswith("kitpkg")]:
            del sys.modules[name]
