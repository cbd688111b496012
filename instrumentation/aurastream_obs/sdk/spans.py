"""A leaner Tracer and Span inside the SDK's TracerProvider: same semantics, less work per span.

Why: with the SDK's own span (a BoundedAttributes with its lock and per-value cleaning, two
BoundedLists, a second ReadableSpan copy at end, two generator-based context managers per
`start_as_current_span`) span creation was the largest cost left per request (≈25 µs per span
on the reference machine). `LeanSpan` keeps the SDK's behaviour — sampling by the provider's
sampler, parent from the context, SpanLimits (counts, value lengths, drop-oldest, dropped
counts), events, links, status rules, `record_exception`, `is_recording`, end-once, the
processors' `on_start`/`_on_ending`/`on_end` — with plain containers and fast paths for the
common attribute types; unusual values take the SDK's own `_clean_attribute_value`.

It subclasses the SDK `Span` (so `isinstance` checks and inherited helpers such as
`record_exception`, `to_json` and the context-manager `__exit__` keep working) and hands
*itself* to `on_end`: once ended it refuses every change, as the SDK's snapshot would.
`tracer.LeanTracer` creates them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from time import time_ns
from typing import Any, Final

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from aurastream_obs.core.otel_compat import (
    call_on_ending,
    clean_attribute_value,
    is_non_custom_str,
    is_valid_link,
)
from aurastream_obs.encoding.span_fields import trust_span_fields

_log = logging.getLogger("opentelemetry.sdk.trace")  # the SDK's warnings, under its name
_FAST: Final = frozenset({str, bool, int, float})
_UNSET_STATUS: Final = Status(StatusCode.UNSET)
_END_LOCK: Final = threading.Lock()  # end() is rare and short: one lock, no lock per span


class _Attributes(dict[str, Any]):
    """A span's attributes; `dropped` as on BoundedAttributes (the encoders read it)."""

    __slots__ = ("dropped",)
    dropped: int


class _Bounded(list[Any]):
    """Events or links with a max length (oldest dropped first) and a `dropped` count."""

    __slots__ = ("dropped", "maxlen")

    def __init__(self, maxlen: int | None) -> None:
        super().__init__()
        self.maxlen = maxlen
        self.dropped = 0

    def add(self, item: object) -> None:
        if self.maxlen is not None and len(self) >= self.maxlen:
            self.dropped += 1
            if self.maxlen == 0:
                return
            del self[0]
        self.append(item)


_NONE: Final = _Bounded(0)  # never added to: LeanSpan replaces it before the first add


class LeanSpan(sdk_trace.Span):
    """A recording span. See the module docstring for what is (not) different from the SDK."""

    def __new__(cls, *args: Any, **kwargs: Any) -> LeanSpan:
        # Span.__new__ only refuses direct `Span(...)` calls; skip its Python-level check.
        return object.__new__(cls)

    def __init__(  # noqa: PLR0917 - internal constructor, called only by LeanTracer
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        tracer: sdk_trace.Tracer,
        kind: SpanKind,
        attributes: Mapping[str, Any] | None,
        links: Sequence[trace_api.Link],
        record_exception: bool,
        set_status_on_exception: bool,
        record_end_metrics: Callable[[], None] | None,
    ) -> None:
        # The fields ReadableSpan's properties read (Span.__init__ is not called).
        self._name = name
        self._context = self._span_context = context
        self._parent = parent
        self._kind = kind
        self._resource = tracer.resource
        self._instrumentation_scope = tracer._instrumentation_scope
        self._instrumentation_info = tracer.instrumentation_info
        self._span_processor = tracer.span_processor
        self._sampler = tracer.sampler
        self._trace_config = None
        self._limits = limits = tracer._span_limits
        self._record_exception = record_exception
        self._set_status_on_exception = set_status_on_exception
        self._record_end_metrics = record_end_metrics
        self._status = _UNSET_STATUS
        self._start_time: int | None = None
        self._end_time: int | None = None
        self._max_attributes: int | None = limits.max_span_attributes
        self._max_length: int | None = limits.max_span_attribute_length
        # `_attributes` is what ReadableSpan's properties read; `_attrs` the same dict, typed.
        self._attrs = self._attributes = _Attributes()
        self._attrs.dropped = 0
        if attributes:
            self._set_items(attributes)
        # Most spans have neither: one shared, empty stand-in until the first is added.
        self._events: _Bounded = _NONE
        self._links: _Bounded = _NONE
        for link in links or ():
            self._append_link(link)

    # --- attributes ---------------------------------------------------------------------------
    def set_attribute(self, key: str, value: Any) -> None:
        if self._end_time is not None:
            _log.warning("Setting attribute on ended span.")
            return
        self._set(key, value)

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self._end_time is not None:
            _log.warning("Setting attribute on ended span.")
            return
        self._set_items(attributes)

    def _set_items(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            if key.__class__ is not str and not isinstance(key, str) and is_non_custom_str(key):
                key = str(key)  # noqa: PLW2901 - as _clean_attribute_value does for mappings
            self._set(key, value)

    def _set(self, key: Any, value: Any) -> None:
        attrs = self._attrs
        cls = value.__class__
        if (
            key.__class__ is str
            and key
            and cls in _FAST
            and (cls is not str or self._max_length is None or len(value) <= self._max_length)
        ):
            if key in attrs:
                del attrs[key]  # re-set moves to the end, as in BoundedAttributes
            elif self._max_attributes is not None and len(attrs) >= self._max_attributes:
                self._make_room()
                if self._max_attributes == 0:
                    return
            attrs[key] = value
            return
        self._set_slow(key, value)

    def _set_slow(self, key: Any, value: Any) -> None:
        """The SDK's rules for keys and values that are not the common case."""
        if self._max_attributes == 0:
            self._attrs.dropped += 1
            return
        if not isinstance(key, str) or not key:
            # As BoundedAttributes.__setitem__ / _set_items: other keys are dropped, counted.
            _log.warning("invalid key `%s`. must be non-empty string. Dropping key.", key)
            self._attrs.dropped += 1
            return
        cleaned = clean_attribute_value(value, self._max_length)
        attrs = self._attrs
        if key in attrs:
            del attrs[key]
        elif self._max_attributes is not None and len(attrs) >= self._max_attributes:
            self._make_room()
        attrs[key] = cleaned

    def _make_room(self) -> None:
        attrs = self._attrs
        attrs.dropped += 1
        if self._max_attributes:  # 0: nothing to evict, the new one is the one dropped
            _log.warning("Attributes dict is full. Dropping the oldest key-value pair.")
            del attrs[next(iter(attrs))]

    @property
    def dropped_attributes(self) -> int:
        return self._attrs.dropped

    @property
    def dropped_events(self) -> int:
        return self._events.dropped

    @property
    def dropped_links(self) -> int:
        return self._links.dropped

    # --- events, links, status, name --------------------------------------------------------
    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling _add_event on an ended span.")
            return
        limits = self._limits
        bounded = BoundedAttributes(
            limits.max_event_attributes,
            attributes,
            immutable=True,
            max_value_len=limits.max_attribute_length,
        )
        if self._events is _NONE:
            self._events = _Bounded(limits.max_events)
        self._events.add(sdk_trace.Event(name=name, attributes=bounded, timestamp=timestamp))

    def add_link(self, context: SpanContext, attributes: Mapping[str, Any] | None = None) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling _add_link on an ended span.")
            return
        self._append_link(trace_api.Link(context, attributes))

    def _append_link(self, link: trace_api.Link) -> None:
        if not link or not is_valid_link(link.context, link.attributes):
            return
        limits = self._limits
        link._attributes = BoundedAttributes(
            limits.max_link_attributes,
            link.attributes,
            immutable=True,
            max_value_len=limits.max_attribute_length,
        )
        if self._links is _NONE:
            self._links = _Bounded(limits.max_links)
        self._links.add(link)

    def update_name(self, name: str) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling update_name on an ended span.")
            return
        self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._end_time is not None:
            _log.warning("Tried calling set_status on an ended span.")
            return
        current = self._status.status_code
        if isinstance(status, Status):
            # OK is final; UNSET never overrides (the SDK's rules).
            if current is StatusCode.OK or status.status_code is StatusCode.UNSET:
                return
            if description is not None:
                _log.warning(
                    "Description %s ignored. Use either `Status` or `(StatusCode, Description)`",
                    description,
                )
            self._status = status
        elif isinstance(status, StatusCode):
            if current is StatusCode.OK or status is StatusCode.UNSET:
                return
            self._status = Status(status, description)

    # --- lifecycle ------------------------------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        return self._span_context

    def is_recording(self) -> bool:
        return self._end_time is None

    def start(
        self, start_time: int | None = None, parent_context: context_api.Context | None = None
    ) -> None:
        if self._start_time is not None:
            _log.warning("Calling start() on a started span.")
            return
        self._start_time = start_time if start_time is not None else time_ns()
        self._span_processor.on_start(self, parent_context=parent_context)

    def end(self, end_time: int | None = None) -> None:
        with _END_LOCK:
            if self._start_time is None:
                raise RuntimeError("Calling end() on a not started span.")
            if self._end_time is not None:
                _log.warning("Calling end() on an ended span.")
                return
            self._end_time = end_time if end_time is not None else time_ns()
        if self._record_end_metrics is not None:
            self._record_end_metrics()
        processor = self._span_processor
        call_on_ending(processor, self)
        processor.on_end(self)  # itself: read-only from here on, no snapshot copy needed

    def _readable_span(self) -> sdk_trace.ReadableSpan:
        return self


trust_span_fields(LeanSpan)  # the encoders read its fields directly, as the SDK ReadableSpan's
