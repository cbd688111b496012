"""The resource → scope → items grouping of an OTLP export request, shared by the protobuf
(`proto_wire`) and JSON (`json_encode`) encoders, which differ only in the keys (encoded
resource and scope) and in how they write the groups out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

_Item = TypeVar("_Item")
_ResourceKey = TypeVar("_ResourceKey")
_ScopeKey = TypeVar("_ScopeKey")


def group_by_resource_scope(
    items: Iterable[tuple[_Item, Resource, InstrumentationScope | None]],
    resource_key: Callable[[Resource], _ResourceKey],
    scope_key: Callable[[InstrumentationScope | None], _ScopeKey],
) -> dict[_ResourceKey, dict[_ScopeKey, list[_Item]]]:
    """Items grouped by resource key, then scope key, in first-seen order.

    Grouping is by key (the encoded resource or scope), so equal resources or scopes held by
    distinct objects share one entry, as the SDK's hash-based grouping does. The keys are
    computed only when the resource or scope object changes: a batch is mostly one of each.
    """
    groups: dict[_ResourceKey, dict[_ScopeKey, list[_Item]]] = {}
    last: tuple[object, object] = (None, ())
    leaves: list[_Item] = []
    for item, resource, scope in items:
        if resource is not last[0] or scope is not last[1]:
            last = (resource, scope)
            rkey = resource_key(resource)
            scopes = groups.get(rkey)
            if scopes is None:
                scopes = groups[rkey] = {}
            skey = scope_key(scope)
            found = scopes.get(skey)
            if found is None:
                found = scopes[skey] = []
            leaves = found
        leaves.append(item)
    return groups
