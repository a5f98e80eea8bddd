"""Import contracts of fangkong's own kind, checked by import-linter (``lint-imports``, ``pyproject.toml``).

``PrivateNamesContract``: no module imports a private name — one with a leading underscore — of
another module, nor a private submodule of it. A module is a part of ``fangkong`` at its first level
(``fangkong.cases``, ``fangkong.paging``): everything inside it may share private names, nothing outside
it may use them. The check reads each importing file's syntax tree (a statement over several lines
included), so it holds for every module, a new one included, without an edit. ``allow`` lists the
exceptions as ``importer -> imported:name``, each with its reason beside it in the configuration.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from importlinter import Contract, ContractCheck, fields, output


def _owner(module: str, root: str) -> str:
    """The module (first level below the root) a dotted name belongs to: ``fangkong.cases.views`` → ``fangkong.cases``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == root and len(parts) > 1 else parts[0]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _source_file(module: str) -> Path | None:
    """The file of ``module``, found from its top package's folder: a subpackage's ``__init__`` is not run
    (it may need Django's settings, which the linter does not load)."""
    top, *parts = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def private_imports(module: str, root: str) -> list[tuple[str, str, int]]:
    """``(imported module, private name or "", line)`` of every private import of another module in ``module``."""
    origin = _source_file(module)
    if origin is None:
        return []
    with open(origin, encoding="utf-8") as source:
        tree = ast.parse(source.read(), str(origin))
    package = module if origin.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
                else (node.module or "")
            targets = [(imported, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [(alias.name, "") for alias in node.names]
        else:
            continue
        for imported, name in targets:
            if not imported.startswith(f"{root}.") or _owner(imported, root) == _owner(module, root):
                continue
            if any(_private(part) for part in imported.split(".")):
                found.append((imported, "", node.lineno))
            elif name and _private(name):
                found.append((imported, name, node.lineno))
    return found


class PrivateNamesContract(Contract):
    """No private cross-module imports (module docstring)."""

    allow = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        root = next(iter(self.session_options["root_packages"]))
        allowed = {entry.replace(" ", "") for entry in (self.allow or set())}
        broken = []
        for module in sorted(m for m in graph.modules if m == root or m.startswith(f"{root}.")):
            for imported, name, line in private_imports(module, root):
                if f"{module}->{imported}:{name}" not in allowed:
                    broken.append(f"{module} (l.{line}) imports {imported}{':' + name if name else ''}")
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["broken"]:
            output.print_error(line)
        output.new_line()
