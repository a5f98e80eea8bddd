"""Structure validation of FHIR resources at volume: the library's verdict, computed in full once per shape.

Every Bundle the platform sends or takes is validated with ``fhir.resources`` (R4B models: see ``fhir``). In
full, the library takes about a millisecond per case-report Bundle, so a backfill of 100,000 reports would
spend a minute and a half on validation alone. Its verdict on a resource depends on two things only:

1. the resource's **shape** — which elements are present, nested how, with which JSON types (object, array of
   which length, string, number, boolean, null), and the ``resourceType`` of every resource in it (which
   model validates a nested resource); this decides the required elements, the elements FHIR does not allow
   (``extra="forbid"``), the choice types (``value[x]``: one of them) and the arrays;
2. the value of every **primitive element** against its FHIR type (date, dateTime, instant, code, id, uri,
   string, decimal, boolean…), which the library checks with the type annotated on the model's field.

The models check nothing else: no terminology binding (a ``gender`` of ``"robot"`` is a valid code), no FHIRPath
invariant. So ``StructureCheck`` validates the first resource of a shape with the library in full and keeps,
for that shape, the library's own annotation of each primitive element; a later resource of the same shape has
its primitive values validated with those annotations (pydantic ``TypeAdapter``: the same validators, the
model's configuration sets none that bears on a primitive). When one of them fails — or the shape is new —
the library validates the resource in full, and its errors are the answer, so a refusal always names the
element as the library does. The equivalence is tested: ``tests/test_fhir_structure.py`` mutates exported
Bundles at random (values and shapes) and asserts the verdict is the library's.

Shapes kept: at most ``SHAPES_KEPT`` per check (a case report has a handful: with or without onset date,
admission, identifiers…); past that the library validates in full, as before.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as ModelError
from pydantic_core import PydanticCustomError

SHAPES_KEPT = 512


# Markers of the flat shape: objects, so that no key of a resource can be taken for one.
_OBJECT, _ARRAY, _END = object(), object(), object()


def _shape(value: Any) -> tuple:
    """The shape of a JSON value (module docstring, point 1), flat and hashable: the markers, the keys, the
    ``resourceType`` values and the types of the other leaves, in document order. (A flat walk with ``type``
    checks: a third of the time a nested tuple of generator expressions took.)"""
    out: list = []
    _walk(value, out)
    return tuple(out)


def _walk(value: Any, out: list) -> None:
    kind = type(value)
    if kind is dict:
        out.append(_OBJECT)
        for key, item in value.items():
            out.append(key)
            if key == "resourceType" and type(item) is str:
                out.append(item)
            else:
                _walk(item, out)
        out.append(_END)
    elif kind is list:
        out.append(_ARRAY)
        for item in value:
            _walk(item, out)
        out.append(_END)
    else:
        out.append(kind)


def _unknown_resource_type(resource: dict, title: str) -> ModelError:
    """The library fails with ``KeyError`` or ``TypeError`` (not a validation error) on a nested resource whose
    ``resourceType`` it does not know (``""``, ``"Nope"``, a number): the same refusal as any other, naming
    the element."""
    from fhir.resources.R4B import get_fhir_model_class

    def unknown(value, path):
        if isinstance(value, dict):
            kind = value.get("resourceType", "")
            if path and "resourceType" in value:
                try:
                    get_fhir_model_class(kind) if isinstance(kind, str) else None
                except ValueError:
                    kind = None
                if not isinstance(kind, str):
                    return (*path, "resourceType"), value["resourceType"]
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return None
        for key, item in items:
            found = unknown(item, (*path, key))
            if found:
                return found
        return None

    where, value = unknown(resource, ()) or (("resourceType",), resource.get("resourceType"))
    return ModelError.from_exception_data(title, [{
        "type": PydanticCustomError("resource_type", "Unknown resource type {value}", {"value": repr(value)}),
        "loc": where, "input": value}])


class StructureCheck:
    """``validate(resource)`` raises the library's ``pydantic.ValidationError`` exactly when
    ``model.model_validate(resource)`` would (module docstring)."""

    def __init__(self, model):
        self.model = model
        self._primitives: dict[tuple, tuple[tuple[TypeAdapter, tuple[tuple, ...]], ...]] = {}
        self._adapters: dict[Any, TypeAdapter] = {}
        self._names: dict[type, dict[str, str]] = {}

    def validate(self, resource: dict) -> None:
        shape = _shape(resource)
        primitives = self._primitives.get(shape)
        if primitives is not None and self._primitives_valid(resource, primitives):
            return
        try:
            instance = self.model.model_validate(resource)  # raises the library's errors
        except ModelError:
            raise
        except (KeyError, TypeError) as exc:  # the library's own failure on a resource type it does not know
            raise _unknown_resource_type(resource, self.model.__name__) from exc
        if primitives is None and len(self._primitives) < SHAPES_KEPT:
            by_type: dict[Any, list[tuple]] = {}
            for path, annotation in self._primitive_elements(resource, instance, ()):
                by_type.setdefault(annotation, []).append(path)
            self._primitives[shape] = tuple((self._adapter(annotation), tuple(paths))
                                            for annotation, paths in by_type.items())

    @staticmethod
    def _primitives_valid(resource: dict, primitives) -> bool:
        """The primitive values of ``resource``, each type's together (one call of its list adapter)."""
        for adapter, paths in primitives:
            values = []
            for path in paths:
                value = resource
                for step in path:
                    value = value[step]
                values.append(value)
            try:
                adapter.validate_python(values)
            except ValueError:  # pydantic's ValidationError is a ValueError
                return False
        return True

    def _field_name(self, model_class: type, key: str) -> str:
        names = self._names.get(model_class)
        if names is None:
            names = self._names[model_class] = {(info.alias or name): name
                                                for name, info in model_class.model_fields.items()}
        return names[key]

    def _adapter(self, annotation) -> TypeAdapter:
        """The adapter of a list of values of the library's ``annotation``."""
        adapter = self._adapters.get(annotation)
        if adapter is None:
            adapter = self._adapters[annotation] = TypeAdapter(list[annotation])
        return adapter

    def _primitive_elements(self, data: dict, instance, path: tuple):
        """(path, the library's annotation) of every primitive element (or array of primitives) of ``data``,
        walking the validated ``instance`` beside it for the model class of each object."""
        model_class = type(instance)
        for key, value in data.items():
            if key == "resourceType":
                continue
            name = self._field_name(model_class, key)
            child = getattr(instance, name)
            if isinstance(value, dict):
                yield from self._primitive_elements(value, child, (*path, key))
            elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
                for n, item in enumerate(value):
                    yield from self._primitive_elements(item, child[n], (*path, key, n))
            else:  # a primitive, null, or an array of primitives (validated whole, as the field is)
                yield (*path, key), model_class.model_fields[name].annotation
