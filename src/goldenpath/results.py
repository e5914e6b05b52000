"""One result contract for every service, and one JSON form for all of them.

Services return results instead of printing or exiting: the CLI renders them as text or
``--json``, fleet commands collect hundreds of them. So every result answers the same
questions the same way:

- ``error``: the ``GoldenpathError`` that stopped the service for this target, or None.
  Results of services that may fail per target (one repository of many) declare it as a
  dataclass field and report failures there; the others raise, and the class default None
  stands.
- ``exit_code``: the error's code, else what the result means (``_ok_exit_code``: 0, or 3
  when a person has to act: conflicts left, a version behind, a readiness level missed).
- ``ok``: the exit code is 0.
- ``to_dict()``: its JSON form, derived from its dataclass fields by one function, so a
  new field cannot be forgotten in ``--json`` and no two results spell a path, a version,
  an enum or an error differently. A class adjusts it through two small hooks only:
  ``_json_rename`` (a field under another key, or left out with None) and
  ``_json_extra()`` (keys derived from the fields, or a field shown another way). Keys
  come in field order (a field shown another way keeps its place), then the other extra
  keys, then ``error``: a class that wants a long list after its summary leaves the field
  out and gives it as an extra key.

Nested data (a repository's rows, a check's evidence) derives from ``Record``: the same
JSON form without the error contract.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import PurePath
from typing import Any, ClassVar

from goldenpath.errors import EXIT_OK, GoldenpathError
from goldenpath.versions import Version


def to_json(value: Any) -> Any:
    """``value`` as JSON-ready data.

    Records, results and errors give their ``to_dict()``; paths and versions their text,
    dates their ISO form; an enum its value when that is text, else its lower-case name
    (``Gap.MINOR`` is ``"minor"``); other dataclasses their fields; mappings and sequences
    their items. Anything else is a ``TypeError``: a value with no agreed JSON form is a
    bug to fix here, not something to stringify silently.
    """
    if isinstance(value, Record | GoldenpathError):
        return value.to_dict()
    if isinstance(value, PurePath | Version):  # before dataclasses: a Version is one
        return str(value)
    if isinstance(value, Mapping):
        return {_key(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # before int and str: IntEnum and StrEnum are both
        return value.value if isinstance(value.value, str) else value.name.lower()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"no JSON form for {type(value).__name__}: {value!r}")


def _key(key: Any) -> str:
    converted = to_json(key)
    return converted if isinstance(converted, str) else str(converted)


class Record:
    """Data (a dataclass) whose JSON form is its fields; see the module docstring."""

    # field name -> JSON key; None leaves the field out
    _json_rename: ClassVar[Mapping[str, str | None]] = {}

    def _json_extra(self) -> dict[str, Any]:
        """Keys derived from the fields, or fields shown another way (same key)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the fields (renamed), the extra keys, ``error`` last."""
        if not is_dataclass(self):
            raise TypeError(f"{type(self).__name__} must be a dataclass to derive its JSON")
        extra = self._json_extra()
        data: dict[str, Any] = {}
        for item in fields(self):
            key = self._json_rename.get(item.name, item.name)
            if key is not None:
                data[key] = None if key in extra else to_json(getattr(self, item.name))
        data.update((key, to_json(value)) for key, value in extra.items())
        if "error" in data:
            data["error"] = data.pop("error")
        return data


class Result(Record):
    """What a service returns: ``error``, ``exit_code``, ``ok`` and ``to_dict()``."""

    error: GoldenpathError | None = None

    def _ok_exit_code(self) -> int:
        """The exit code when there is no error; override for "a person has to act" (3)."""
        return EXIT_OK

    @property
    def exit_code(self) -> int:
        """The error's exit code, else the result's own (``_ok_exit_code``)."""
        return self.error.exit_code if self.error is not None else self._ok_exit_code()

    @property
    def ok(self) -> bool:
        """True when the exit code is 0: no error and nothing for a person to do."""
        return self.exit_code == EXIT_OK
