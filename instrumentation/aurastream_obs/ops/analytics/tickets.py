"""Support tickets per customer, from a pluggable source.

The interface is one method (`TicketSource.count_by_customer`): how many tickets each customer
opened in a time range. The default source is a file (`FileTicketSource`):

- CSV with a header row: `customer_id` and `opened_at` (ISO 8601; a date alone is midnight
  UTC, a time without an offset is UTC) are required; other columns (`id`, `status`,
  `subject`, ...) are ignored;
- JSON: a list of objects with the same keys, or `{"tickets": [...]}`.

Anything else (Zendesk, Jira, a database) plugs in as `package.module:factory`, a callable
taking no argument that returns an object with `name` and `count_by_customer`
(`load_ticket_source`). A source that cannot be read raises `TicketSourceError` naming the
file and the row."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

REQUIRED = ("customer_id", "opened_at")


class TicketSourceError(ValueError):
    """A ticket source that cannot be loaded or read."""


@runtime_checkable
class TicketSource(Protocol):
    @property
    def name(self) -> str:
        """Where the tickets come from (shown in reports)."""
        ...

    def count_by_customer(self, start: dt.datetime, end: dt.datetime) -> Mapping[str, int]:
        """Tickets each customer opened in [start, end) (aware datetimes, UTC)."""
        ...


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 as an aware UTC datetime (a date is its midnight; no offset means UTC)."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class FileTicketSource:
    """Tickets from a CSV or JSON file, read once."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._tickets: list[tuple[str, dt.datetime]] | None = None

    @property
    def name(self) -> str:
        return f"file {self.path}"

    def tickets(self) -> list[tuple[str, dt.datetime]]:
        """(customer id, opened at) of every ticket in the file."""
        if self._tickets is None:
            self._tickets = list(self._read())
        return self._tickets

    def _read(self) -> Iterable[tuple[str, dt.datetime]]:
        try:
            with open(self.path, encoding="utf-8", newline="") as handle:
                if self.path.lower().endswith(".json"):
                    rows = _json_rows(json.load(handle))
                else:
                    rows = list(csv.DictReader(handle))
        except (OSError, ValueError) as error:
            raise TicketSourceError(f"support tickets {self.path}: {error}") from error
        for number, row in enumerate(rows, start=1):
            missing = [key for key in REQUIRED if not str(row.get(key) or "").strip()]
            if missing:
                raise TicketSourceError(
                    f"support tickets {self.path}: ticket {number} has no {', '.join(missing)}"
                )
            try:
                opened = parse_time(str(row["opened_at"]))
            except ValueError as error:
                raise TicketSourceError(
                    f"support tickets {self.path}: ticket {number}: opened_at "
                    f"{row['opened_at']!r} is not ISO 8601"
                ) from error
            yield str(row["customer_id"]).strip(), opened

    def count_by_customer(self, start: dt.datetime, end: dt.datetime) -> Mapping[str, int]:
        counts: dict[str, int] = {}
        for customer, opened in self.tickets():
            if start <= opened < end:
                counts[customer] = counts.get(customer, 0) + 1
        return counts


def _json_rows(document: Any) -> list[Mapping[str, Any]]:
    rows = document.get("tickets") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError('expected a list of ticket objects or {"tickets": [...]}')
    return rows


def load_ticket_source(spec: str) -> TicketSource:
    """A `.csv`/`.json` path (or any existing file) is a `FileTicketSource`;
    `package.module:factory` imports the module and calls the factory."""
    if os.path.exists(spec) or spec.lower().endswith((".csv", ".json")) or ":" not in spec:
        return FileTicketSource(spec)
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
        source = factory()
    except (ImportError, AttributeError, TypeError) as error:
        raise TicketSourceError(f"ticket source {spec}: {error}") from error
    if not isinstance(source, TicketSource):
        raise TicketSourceError(
            f"ticket source {spec}: {type(source).__name__} has no name/count_by_customer"
        )
    return source
