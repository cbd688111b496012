"""`XRaySource`: X-Ray traces (GetTraceSummaries -> BatchGetTraces -> segment documents) in
the common span model. boto3 is imported only when no client is injected."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from aurastream_obs.telemetry_files.readers import Span

BATCH: Final = 5  # BatchGetTraces takes at most 5 trace ids per call


def xray_to_otel_trace_id(xray_id: str) -> str:
    """`1-5f84c7a1-2a3b...` -> 32 hex (the epoch prefix is the top 32 bits, as we generate)."""
    parts = xray_id.split("-")
    return (parts[1] + parts[2]).lower() if len(parts) == 3 else xray_id.lower()


def _scalars(document: Mapping[str, Any]) -> dict[str, str | bool | int | float]:
    attrs: dict[str, str | bool | int | float] = {}
    for key, value in (document.get("annotations") or {}).items():
        if isinstance(value, str | bool | int | float):
            attrs[key] = value
    http = document.get("http") or {}
    for part in ("request", "response"):
        for key, value in (http.get(part) or {}).items():
            if isinstance(value, str | bool | int | float):
                attrs[f"http.{part}.{key}"] = value
    if document.get("namespace"):
        attrs["xray.namespace"] = str(document["namespace"])
    return attrs


def segment_spans(document: Mapping[str, Any]) -> Iterator[Span]:
    """A segment document and its nested subsegments as spans (in-progress ones are skipped)."""
    trace_id = xray_to_otel_trace_id(str(document.get("trace_id", "")))
    service = str(document.get("name", ""))

    def convert(doc: Mapping[str, Any], parent: str, kind: str) -> Iterator[Span]:
        start, end = doc.get("start_time"), doc.get("end_time")
        if not isinstance(start, int | float) or not isinstance(end, int | float):
            return
        yield Span(
            trace_id=trace_id,
            span_id=str(doc.get("id", "")),
            parent_id=parent,
            name=str(doc.get("name", "")),
            service=service,
            start_s=float(start),
            end_s=float(end),
            error=bool(doc.get("error") or doc.get("fault") or doc.get("throttle")),
            kind=kind,
            attributes=_scalars(doc),
        )
        for sub in doc.get("subsegments") or ():
            sub_kind = "client" if sub.get("namespace") in ("aws", "remote") else "internal"
            yield from convert(sub, str(doc.get("id", "")), sub_kind)

    yield from convert(document, str(document.get("parent_id", "")), "server")


class XRaySource:
    def __init__(
        self,
        client: Any = None,
        *,
        since_s: float = 3600.0,
        filter_expression: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client("xray")
        self.client = client
        self.since_s = since_s
        self.filter_expression = filter_expression
        self.now = now

    @property
    def name(self) -> str:
        return f"x-ray (last {self.since_s:g} s)"

    def trace_ids(self) -> list[str]:
        end = self.now or dt.datetime.now(dt.UTC)
        kwargs: dict[str, Any] = {
            "StartTime": end - dt.timedelta(seconds=self.since_s),
            "EndTime": end,
        }
        if self.filter_expression:
            kwargs["FilterExpression"] = self.filter_expression
        ids: list[str] = []
        while True:
            page = self.client.get_trace_summaries(**kwargs)
            ids += [s["Id"] for s in page.get("TraceSummaries", []) if "Id" in s]
            token = page.get("NextToken")
            if not token:
                return list(dict.fromkeys(ids))
            kwargs["NextToken"] = token

    def documents(self, trace_ids: Sequence[str]) -> Iterator[Mapping[str, Any]]:
        for i in range(0, len(trace_ids), BATCH):
            kwargs: dict[str, Any] = {"TraceIds": list(trace_ids[i : i + BATCH])}
            while True:
                page = self.client.batch_get_traces(**kwargs)
                for trace in page.get("Traces", []):
                    for segment in trace.get("Segments", []):
                        yield json.loads(segment["Document"])
                token = page.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token

    def spans(self) -> Sequence[Span]:
        return [span for doc in self.documents(self.trace_ids()) for span in segment_spans(doc)]
