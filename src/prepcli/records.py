"""`@record`: how every prepcli record is declared, a frozen dataclass made cheaper to define.

`@dataclass(frozen=True)` writes six methods per class as source text and compiles each
with `exec`: about 1.2 ms a class on the benchmark machine, and `prepcli` (today's
summary) defines two dozen records before it reads anything. `@record` is that same
frozen dataclass with its three value methods (`__eq__`, `__hash__`, `__repr__`) made from
shared closures instead of compiled, which halves the cost. They behave as the generated
ones do (tests/test_records.py compares the two); `dataclasses.replace`, `asdict` and
`fields` work as on any dataclass, and type checkers see a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see entry.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform

    T = TypeVar("T")

    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(cls: type[T]) -> type[T]: ...

else:

    def record(cls):
        cls = dataclass(frozen=True, eq=False, repr=False)(cls)
        own = cls.__dict__
        if "__eq__" not in own:
            values = _values_of([f.name for f in fields(cls) if f.compare])
            cls.__eq__ = _equality(values)
            if "__hash__" not in own:
                cls.__hash__ = lambda self: hash(values(self))
        if "__repr__" not in own:
            cls.__repr__ = _representation([f.name for f in fields(cls) if f.repr])
        return cls


def _values_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these attributes, as the generated methods compare and hash it."""
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    if not names:
        return lambda obj: ()
    return attrgetter(*names)  # a tuple for two or more names


def _equality(values: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _representation(names: list[str]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__
