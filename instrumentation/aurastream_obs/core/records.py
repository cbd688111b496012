"""`Record`: what `@dataclass` gives the few records on the cold-start path, without writing
and compiling source.

`@dataclass` generates `__init__`, `__repr__`, `__eq__`, `__hash__` and the frozen
`__setattr__`/`__delattr__` as source text and compiles each one at class creation. For the
six records every process builds while configuring (the settings, OTLP targets, instrument
specs, sampling rules, log categories, the Telemetry handle) that parsing and compiling was
≈ 35 M instructions of a Lambda cold start (callgrind, 2026-12-07: a quarter of what this package
adds to the OTel API's own imports). A `Record` subclass reads its fields from its annotations
once, and shares one generic implementation of those methods.

Semantics kept from dataclasses (tests/unit/core/test_records.py compares them): fields in
annotation order, inherited fields first; positional or keyword construction; defaults and
`field(default_factory=...)`; `__post_init__`; `frozen=True` (assignment raises
`FrozenRecordError`, an AttributeError like `dataclasses.FrozenInstanceError`); equality by
class and field values; a frozen record hashes its fields (minus `field(hash=False)` ones), an
unfrozen one is unhashable; `replace()` and `field_names()`. Type checkers see a dataclass
(`typing.dataclass_transform`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record."""


class _Field:
    __slots__ = ("default", "factory", "hashed")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, hashed: bool) -> None:
        self.default = default
        self.factory = factory
        self.hashed = hashed


_MISSING: Any = object()


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    hash: bool = True,
) -> Any:
    """A field with a default factory (or a default) and/or left out of the hash."""
    return _Field(default, default_factory, hash)


def _is_class_var(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar", "Final", "typing.Final"))


@dataclass_transform(field_specifiers=(field,))
class Record:
    """Base of a dataclass-like record; `class R(Record, frozen=True)` for an immutable one."""

    _record_fields: ClassVar[tuple[str, ...]] = ()
    _record_defaults: ClassVar[dict[str, Any]] = {}
    _record_factories: ClassVar[dict[str, Callable[[], Any]]] = {}
    _record_hashed: ClassVar[tuple[str, ...]] = ()
    _record_frozen: ClassVar[bool] = False

    def __init_subclass__(cls, *, frozen: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = list(cls._record_fields)
        defaults = dict(cls._record_defaults)
        factories = dict(cls._record_factories)
        unhashed = {n for n in names if n not in cls._record_hashed}
        # The class's own annotations (strings: `from __future__ import annotations`); not
        # inspect.get_annotations: `inspect` costs ≈ 5 ms to import where nothing else needs it.
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        for name, annotation in own.items():
            if _is_class_var(annotation):
                continue
            if name not in names:
                names.append(name)
            value = cls.__dict__.get(name, _MISSING)
            defaults.pop(name, None)
            factories.pop(name, None)
            unhashed.discard(name)
            if isinstance(value, _Field):
                if not value.hashed:
                    unhashed.add(name)
                if value.factory is not None:
                    factories[name] = value.factory
                elif value.default is not _MISSING:
                    defaults[name] = value.default
                delattr(cls, name)  # as dataclasses: no class attribute for a factory field
                if name in defaults:
                    setattr(cls, name, defaults[name])
            elif value is not _MISSING:
                defaults[name] = value
        cls._record_fields = tuple(names)
        cls._record_defaults = defaults
        cls._record_factories = factories
        cls._record_hashed = tuple(n for n in names if n not in unhashed)
        cls._record_frozen = frozen or cls._record_frozen
        if not cls._record_frozen and "__hash__" not in cls.__dict__:
            cls.__hash__ = None  # type: ignore[assignment]  # as dataclasses: eq, unfrozen

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._record_fields
        if len(args) > len(names):
            raise TypeError(
                f"{type(self).__name__}() takes {len(names)} positional arguments "
                f"but {len(args)} were given"
            )
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name in values:
                raise TypeError(f"{type(self).__name__}() got multiple values for {name!r}")
            if name not in names:
                raise TypeError(f"{type(self).__name__}() got an unexpected argument {name!r}")
            values[name] = value
        setter = object.__setattr__
        defaults, factories = self._record_defaults, self._record_factories
        for name in names:
            if name in values:
                setter(self, name, values[name])
            elif name in defaults:
                setter(self, name, defaults[name])
            elif name in factories:
                setter(self, name, factories[name]())
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value: Any) -> None:
        if self._record_frozen:
            raise FrozenRecordError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self._record_frozen:
            raise FrozenRecordError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._record_fields)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._record_fields)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in self._record_hashed))


_R = TypeVar("_R", bound=Record)  # after the class: a string bound is compiled at import


def replace(record: _R, /, **changes: Any) -> _R:
    """A copy of `record` with `changes` (dataclasses.replace); unknown names raise TypeError."""
    unknown = changes.keys() - set(record._record_fields)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {sorted(unknown)[0]!r}")
    values = {n: getattr(record, n) for n in record._record_fields}
    values.update(changes)
    return type(record)(**values)


def field_names(cls: type[Record]) -> tuple[str, ...]:
    """The fields of a record class, in order (dataclasses.fields, names only)."""
    return cls._record_fields
