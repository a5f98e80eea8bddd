"""The library's API reference, ``API.md``, generated from the code so that it cannot drift from it.

For every module of :data:`MODULES`, every name in its ``__all__``: the signature (parameters with their
types and defaults), the docstring, and the R function it agrees with (the module's ``R_EQUIVALENTS``;
for a detector control, its ``r_function``); for a dataclass, its fields with type, default and the
``#:`` comment written above each. ``python -m fangkong.epi.api_reference`` rewrites ``API.md`` next to
this module; ``tests/test_api_reference.py`` fails when the file is not current, or when a public name
of a statistical module says nothing about R.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import sys
import textwrap
from pathlib import Path
from types import ModuleType

#: Modules documented, in this order; each lists its public names in ``__all__``.
MODULES = (
    "fangkong.epi.series",
    "fangkong.epi.detection",
    "fangkong.epi.rt",
    "fangkong.epi.projection",
    "fangkong.epi.chains",
    "fangkong.epi.simulate",
)
#: Modules whose every public name must say which R function it agrees with (or that none does).
STATISTICAL_MODULES = MODULES[:-1]
API_MD = Path(__file__).with_name("API.md")

HEADER = """# fangkong.epi — API reference

Generated from the code by `python -m fangkong.epi.api_reference` (a test keeps it current); the
overview and the installation are in `README.md`. Conventions: counts are (time, unit) arrays (1-D = one
unit), NaN marks a missing value, time points are 0-based indices, parameters keep R's names in
snake_case with R's defaults, and every bad input raises `ValueError` naming the argument.
"""


def module_of(name: str) -> ModuleType:
    return importlib.import_module(name)


def r_equivalent(module: ModuleType, name: str, obj: object) -> str | None:
    """What ``name`` agrees with in R, or None when the module does not say."""
    stated = getattr(module, "R_EQUIVALENTS", {}).get(name)
    if stated is None and isinstance(obj, type) and isinstance(getattr(obj, "r_function", None), str):
        stated = f"`{obj.r_function}` (its `control` list)"
    return stated


def _annotation(annotation: object) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))


def signature_of(obj: object, name: str) -> str:
    """``name(a: int = 1, *, b: str = 'x') -> T`` from the object's signature (string annotations kept)."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    parts, keyword_only_started = [], False
    for parameter in signature.parameters.values():
        if parameter.name in ("self", "cls") and not parts:
            continue
        if parameter.kind is parameter.KEYWORD_ONLY and not keyword_only_started:
            parts.append("*")
            keyword_only_started = True
        if parameter.kind is parameter.VAR_POSITIONAL:
            keyword_only_started = True
            text = f"*{parameter.name}"
        elif parameter.kind is parameter.VAR_KEYWORD:
            text = f"**{parameter.name}"
        else:
            text = parameter.name
        annotation = _annotation(parameter.annotation)
        if annotation:
            text += f": {annotation}"
        if parameter.default is not parameter.empty:
            text += f" = {parameter.default!r}" if annotation else f"={parameter.default!r}"
        parts.append(text)
    returns = _annotation(signature.return_annotation)
    if inspect.isclass(obj) or returns == "None":
        returns = ""
    return f"{name}({', '.join(parts)})" + (f" -> {returns}" if returns else "")


def field_comments(cls: type) -> dict[str, str]:
    """What is written about each annotated field of ``cls``: the ``#:`` comment lines just above it, or the
    string just below it (an attribute docstring)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    comments = {}
    body = ast.parse(source).body[0].body
    for position, node in enumerate(body):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, row = [], node.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#:"):
            above.insert(0, lines[row].strip()[2:].strip())
            row -= 1
        following = body[position + 1] if position + 1 < len(body) else None
        if above:
            comments[node.target.id] = " ".join(above)
        elif (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
              and isinstance(following.value.value, str)):
            comments[node.target.id] = " ".join(following.value.value.split())
    return comments


def _fields_table(cls: type) -> list[str]:
    comments = field_comments(cls)
    rows = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        if f.name.startswith("_"):
            continue
        if f.default is not dataclasses.MISSING:
            default = f"`{f.default!r}`"
        elif f.default_factory is not dataclasses.MISSING:
            default = f"`{f.default_factory.__name__}()`"
        else:
            default = "required"
        meaning = comments.get(f.name, "").replace("|", "\\|")
        kind = _annotation(f.type).replace("|", "\\|")
        rows.append(f"| `{f.name}` | `{kind}` | {default.replace('|', chr(92) + '|')} | {meaning} |")
    return rows


def _public_methods(cls: type) -> list[tuple[str, object]]:
    methods = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            methods.append((name, member))
        elif inspect.isfunction(member) or isinstance(member, classmethod):
            methods.append((name, member.__func__ if isinstance(member, classmethod) else member))
    return methods


def document(module_name: str, name: str, obj: object, r: str | None) -> list[str]:
    """The Markdown of one public name."""
    out = [f"### `{name}`", ""]
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        out += ["```python", f"class {name}  # a dataclass: its fields are in the table below", "```", ""]
    elif inspect.isclass(obj):
        out += ["```python", f"class {signature_of(obj, name)}", "```", ""]
    elif callable(obj):
        out += ["```python", signature_of(obj, name), "```", ""]
    else:
        out += ["```python", f"{name} = {obj!r}"[:400], "```", ""]
    if r:
        out += [f"**R:** {r}", ""]
    doc = inspect.getdoc(obj) if (inspect.isclass(obj) or callable(obj)) else None
    if doc:
        out += [doc, ""]
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        out += _fields_table(obj) + [""]
    if inspect.isclass(obj):
        for method_name, member in _public_methods(obj):
            if isinstance(member, property):
                heading = f"- `.{method_name}` (property)"
                doc = inspect.getdoc(member)
            else:
                heading = f"- `.{signature_of(member, method_name)}`"
                doc = inspect.getdoc(member)
            out.append(heading + (": " + " ".join(doc.split()) if doc else ""))
        if _public_methods(obj):
            out.append("")
    return out


def render() -> str:
    """The whole of ``API.md``."""
    out = [HEADER]
    for module_name in MODULES:
        module = module_of(module_name)
        out += [f"## `{module_name}`", "", inspect.getdoc(module) or "", ""]
        for name in module.__all__:
            obj = getattr(module, name)
            out += document(module_name, name, obj, r_equivalent(module, name, obj))
    return "\n".join(out).rstrip() + "\n"


def missing_r_equivalents() -> list[str]:
    """Public names of the statistical modules that say nothing about R."""
    missing = []
    for module_name in STATISTICAL_MODULES:
        module = module_of(module_name)
        missing += [f"{module_name}.{name}" for name in module.__all__
                    if r_equivalent(module, name, getattr(module, name)) is None]
    return missing


def main() -> int:
    API_MD.write_text(render(), encoding="utf-8")
    print(f"wrote {API_MD}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
