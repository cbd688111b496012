"""Logs Insights queries that read both shapes a log category's group holds.

`/aurastream/<env>/<category>` receives the same events in two shapes:

- the stdout JSON line (Lambda, through the log forwarder; a container's stdout): top-level
  `event_type`, `level`, `customer_id`, and `data` as a nested object (`data.revenue_usd`);
- the sidecar collector's record (ECS/EKS: `awscloudwatchlogs` with `raw_log: false`), the
  exporter's JSON `{"body", "severity_number", "severity_text", "flags", "trace_id", "span_id",
  "attributes", "scope", "resource"}` (opentelemetry-collector-contrib
  exporter/awscloudwatchlogsexporter/exporter.go, `cwLogBody`): the line's fields are OTLP
  attributes under the keys of core/conventions.LOG_ATTRIBUTE_KEYS (`attributes.event.name`,
  `attributes.aurastream.customer.id`), and `data` is JSON text in one attribute.

Queries are written with the line's field names, as the seed wrote them. `both_shapes(query)`
rewrites one to read either shape with Logs Insights' own means (CloudWatch Logs User Guide,
"CloudWatch Logs Insights language query syntax"):

- a JSON event's nested fields are addressed in dot notation ("Supported logs and discovered
  fields", Fields in JSON logs), so the attribute `event.name` is `attributes.event.name`; a
  name with characters other than letters, digits, `@` and `.` needs backticks ("Fields that
  contain special characters"): every collector field is written in backticks;
- `coalesce(a, b)` "returns the first non-null value" (General functions): one `fields` command
  first defines `coalesce(event_type, `attributes.event.name`) as log_event_type`, and the rest
  of the query reads `log_event_type` (a new name: nothing is shadowed);
- a `stats ... by` key gets its line name back as an alias (`by log_customer_id as
  customer_id`, "Use aliases"), so result columns keep the names readers and parsers expect;
- `ispresent(x)` becomes `(ispresent(x) or ispresent(`y`))`: a field is present in one shape;
- a field nested in `data` is JSON text in the collector's record: `parse` with a regular
  expression and a named capturing group takes it out of that attribute ("parse"; an event that
  does not match "still [appears] in the results, but without the extracted fields").

The mapping is one table: the line's field → `attributes.<key>` from LOG_ATTRIBUTE_KEYS and
LOG_EXCEPTION_KEYS, plus the record fields the exporter writes itself (`RECORD_FIELDS`). A
query naming a line field the collector's record does not carry (`LINE_ONLY`) is refused
(ValueError). Names that are no line field (@fields, aliases, extracted fields) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

from aurastream_obs.core.conventions import LOG_ATTRIBUTE_KEYS, LOG_EXCEPTION_KEYS

# The line's fields that are the OTLP record's own, as the exporter names them in its JSON
# (cwLogBody: body, severity_text, trace_id, span_id; the scope's name; resource attributes).
# `timestamp` has no counterpart: both shapes have CloudWatch's @timestamp.
RECORD_FIELDS: Final[Mapping[str, str]] = MappingProxyType({
    "message": "body",
    "level": "severity_text",
    "trace_id": "trace_id",
    "span_id": "span_id",
    "logger": "scope.name",
    "service": "resource.service.name",
    "environment": "resource.deployment.environment.name",
})  # fmt: skip
# Line field (dot notation for the `exception` object) → the collector record's field.
STRUCTURED_FIELDS: Final[Mapping[str, str]] = MappingProxyType({
    **{line: f"attributes.{key}" for line, key in LOG_ATTRIBUTE_KEYS.items()},
    **{f"exception.{k}": f"attributes.{key}" for k, key in LOG_EXCEPTION_KEYS.items()},
    **RECORD_FIELDS,
})  # fmt: skip
# Line fields the collector's record has no counterpart for: refused in a both-shapes query.
LINE_ONLY: Final[Mapping[str, str]] = MappingProxyType({
    "timestamp": "use @timestamp (CloudWatch's event time, in both shapes)",
    "xray_trace_id": "use trace_id (the record's, in OTel form)",
})  # fmt: skip
ALIAS_PREFIX: Final = "log_"
KEYWORDS: Final = frozenset(
    {"fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup", "by", "as",
     "and", "or", "not", "like", "in", "asc", "desc"}
)  # fmt: skip

_TOKEN: Final = re.compile(
    r"""(?P<space>\s+)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<quoted>`[^`]*`)
    |(?P<name>[@A-Za-z_][\w.@]*)
    |(?P<other>=~|.)""",
    re.X | re.S,
)
_REGEX: Final = re.compile(r"/(?:[^/\\\n]|\\.)*/")


class Token(NamedTuple):
    kind: str  # space, string, quoted, name, regex, other
    text: str


class Reference(NamedTuple):
    """A line field a query reads, and how the collector's record holds it."""

    line: str  # e.g. "customer_id", "data.revenue_usd"
    structured: str  # e.g. "attributes.aurastream.customer.id"
    json_key: str | None = None  # set when `structured` is JSON text holding this key

    @property
    def alias(self) -> str:
        return ALIAS_PREFIX + self.line.replace(".", "_")

    @property
    def captured(self) -> str:
        """The parse command's capturing group: letters and digits only."""
        words = re.split(r"[^A-Za-z0-9]+", self.line)
        return "json" + "".join(w[:1].upper() + w[1:] for w in words)

    @property
    def present_in_record(self) -> str:
        return self.captured if self.json_key else quoted(self.structured)

    def definition(self) -> str:
        return f"coalesce({self.line}, {self.present_in_record}) as {self.alias}"

    def parse_command(self) -> str:
        key = re.escape(self.json_key or "")
        return f'parse {quoted(self.structured)} /"{key}":"?(?<{self.captured}>[^",}}]*)/'


def quoted(field: str) -> str:
    return f"`{field}`"


def reference(name: str) -> Reference | None:
    """The line field `name` names, or None when it is not one (@fields, aliases, keywords)."""
    if name in KEYWORDS:
        return None
    if name in STRUCTURED_FIELDS:
        return Reference(name, STRUCTURED_FIELDS[name])
    head, _, key = name.partition(".")
    if key and head in LOG_ATTRIBUTE_KEYS:  # a nested value: JSON text in the attribute
        return Reference(name, STRUCTURED_FIELDS[head], key)
    return None


def tokens(query: str) -> list[Token]:
    """The query as tokens; `/.../` is a regular expression after `like`, `=~` or `parse F`."""
    out: list[Token] = []
    significant: list[str] = []
    pos = 0
    while pos < len(query):
        regex = _REGEX.match(query, pos) if query[pos] == "/" else None
        after_parse = len(significant) > 1 and significant[-2] == "parse"
        if regex and significant and (significant[-1] in ("like", "=~") or after_parse):
            token = Token("regex", regex.group())
            pos = regex.end()
        else:
            match = _TOKEN.match(query, pos)
            assert match is not None and match.lastgroup is not None  # `.` matches anything
            token = Token(match.lastgroup, match.group())
            pos = match.end()
        out.append(token)
        if token.kind != "space":
            significant.append(token.text)
    return out


def references(query: str) -> list[Reference]:
    """Every line field the query reads, in order of first use."""
    found: dict[str, Reference] = {}
    toks = tokens(query)
    for i, tok in enumerate(toks):
        if tok.kind != "name" or not _reads(toks, i):
            continue
        if tok.text in LINE_ONLY:
            raise ValueError(f"{tok.text!r} is in the JSON line only: {LINE_ONLY[tok.text]}")
        if ref := reference(tok.text):
            found.setdefault(ref.line, ref)
    return list(found.values())


def both_shapes(query: str) -> str:
    """`query` (line field names) rewritten to read the JSON line and the collector's
    record alike; a query reading no line field is returned as it is."""
    refs = references(query)
    if not refs:
        return query
    commands = _rewrite(tokens(query))
    used = [r for r in refs if _used(r, commands)]
    parses = [r.parse_command() for r in refs if r.json_key]
    items = _fields_items(commands[0], {r.alias for r in used})
    if items is None:  # a `fields` command of its own, first
        body = [_text(c) for c in commands]
        if used:
            body.insert(0, "fields " + ", ".join(r.definition() for r in used))
        return "\n| ".join([*parses, *body])
    # The query's own `fields` command carries the definitions: its items that are a line
    # field become their definition, in place; the other definitions are appended.
    by_alias = {r.alias: r for r in used}
    defined = [by_alias[i] for i in items if i in by_alias]
    items = [by_alias[i].definition() if i in by_alias else i for i in items]
    items += [r.definition() for r in used if r not in defined]
    first = "fields " + ", ".join(items)
    return "\n| ".join([*parses, first, *(_text(c) for c in commands[1:])])


def _fields_items(command: list[Token], aliases: set[str]) -> list[str] | None:
    """The items of a first `fields` command that can carry the definitions (every alias it
    reads is a whole item), else None."""
    significant = [t for t in command if t.kind != "space"]
    if not significant or significant[0].text != "fields":
        return None
    items = [i.strip() for i in _split_items(command[command.index(significant[0]) + 1 :])]
    inside = {t.text for t in significant if t.text in aliases} - set(items)
    return None if inside else items


def _used(ref: Reference, commands: list[list[Token]]) -> bool:
    """Whether the rewritten query reads `ref`'s alias (ispresent reads the fields)."""
    return any(t.kind == "name" and t.text == ref.alias for c in commands for t in c)


def _rewrite(toks: list[Token]) -> list[list[Token]]:
    """The query's commands (split at `|`), line fields replaced by their aliases."""
    commands: list[list[Token]] = [[]]
    command = ""
    in_by = False
    depth = 0
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == "other" and tok.text == "|" and depth == 0:
            commands.append([])
            command, in_by = "", False
            i += 1
            continue
        current = commands[-1]
        if tok.kind == "other":
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
        if tok.kind == "name" and not command:
            command = tok.text
        elif tok.kind == "name" and command == "stats" and tok.text == "by" and depth == 0:
            in_by = True
        present = _ispresent(toks, i) if tok.kind == "name" else None
        if present is not None:
            either, i = present
            current.append(Token("other", either))
            continue
        ref = reference(tok.text) if tok.kind == "name" and _reads(toks, i) else None
        if ref is None:
            current.append(tok)
        else:
            current.append(Token("name", ref.alias))
            if in_by and depth == 0 and _whole_item(toks, i):
                current.append(Token("other", f" as {ref.line}"))
        i += 1
    return commands


def _reads(toks: list[Token], i: int) -> bool:
    """A name token at `i` that reads a field: not an alias being defined, not a function."""
    before = next((t for t in reversed(toks[:i]) if t.kind != "space"), None)
    after = next((t for t in toks[i + 1 :] if t.kind != "space"), None)
    return not (before and before.text == "as") and not (after and after.text == "(")


def _whole_item(toks: list[Token], i: int) -> bool:
    """The name at `i` is a whole `by` item: followed by `,`, `|`, a newline or the end."""
    after = next((t for t in toks[i + 1 :] if t.kind != "space" or "\n" in t.text), None)
    return after is None or after.text in (",", "|") or "\n" in after.text


def _ispresent(toks: list[Token], i: int) -> tuple[str, int] | None:
    """`ispresent(<line field>)` at `i`: its both-shapes text and the index after `)`."""
    sig = [(j, t.text) for j, t in enumerate(toks[i:], start=i) if t.kind != "space"][:4]
    texts = [text for _, text in sig]
    if len(sig) < 4 or texts[0] != "ispresent" or (texts[1], texts[3]) != ("(", ")"):
        return None
    ref = reference(texts[2])
    if ref is None:
        return None
    return f"(ispresent({ref.line}) or ispresent({ref.present_in_record}))", sig[3][0] + 1


def _split_items(toks: list[Token]) -> list[str]:
    """The comma-separated items of a command (after its name), as text."""
    items, depth = [""], 0
    for tok in toks:
        depth += {"(": 1, ")": -1}.get(tok.text, 0) if tok.kind == "other" else 0
        if tok.kind == "other" and tok.text == "," and depth == 0:
            items.append("")
        else:
            items[-1] += tok.text
    return items


def _text(command: list[Token]) -> str:
    return "".join(t.text for t in command).strip()
