"""Which addresses a runbook may block at the edge (WAF IP sets), and how many.

Never our own traffic: private, carrier-grade NAT, loopback, link-local, multicast and
reserved IPv4 ranges, and the same ranges however IPv6 spells them — IPv4-mapped
(`::ffff:10.0.0.1`, `::ffff:a00:1`), IPv4-compatible (`::10.0.0.1`), NAT64 (`64:ff9b::/96`
with an embedded IPv4; the local-use `64:ff9b:1::/48` is refused outright), 6to4
(`2002:AABB:CCDD::/48` embeds AA.BB.CC.DD) and Teredo (`2001::/32`, refused: its client
address is obfuscated) — plus IPv6 unique-local, link-local, site-local, loopback,
unspecified and multicast. A network that *contains* one of the embedding prefixes is
refused too (it would cover every IPv4 address, private ones included).

Size: each entry at most a /16 (IPv4) or /48 (IPv6), and all entries of one action together at
most `max_ipv4_addresses` IPv4 addresses and `max_ipv6_64s` IPv6 /64 networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Final

IPv4Net = ipaddress.IPv4Network
IPv6Net = ipaddress.IPv6Network

_V4_INTERNAL: Final = tuple(
    IPv4Net(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
_V6_INTERNAL: Final = tuple(
    IPv6Net(n)
    for n in ("::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
              "64:ff9b:1::/48", "2001::/32")
)  # fmt: skip
# Prefixes that embed an IPv4 address: (prefix, bit offset of the IPv4 address from the top).
_EMBEDDING: Final = (
    (IPv6Net("::ffff:0:0/96"), 96),  # IPv4-mapped
    (IPv6Net("::/96"), 96),  # IPv4-compatible (deprecated)
    (IPv6Net("64:ff9b::/96"), 96),  # NAT64 well-known prefix
    (IPv6Net("2002::/16"), 16),  # 6to4
)


def embedded_ipv4(net: IPv6Net) -> IPv4Net | None:
    """The IPv4 network an IPv6 network stands for (mapped, compatible, NAT64, 6to4)."""
    for prefix, offset in _EMBEDDING:
        if net.prefixlen >= prefix.prefixlen and net.subnet_of(prefix):
            v4_bits = max(0, min(32, net.prefixlen - offset))
            start = (int(net.network_address) >> (128 - offset - 32)) & 0xFFFFFFFF
            return IPv4Net((start, v4_bits), strict=False)
    return None


def internal_reason(net: IPv4Net | IPv6Net) -> str | None:
    """Why blocking `net` would block our own traffic (None: it would not)."""
    if isinstance(net, IPv6Net):
        for prefix, _ in _EMBEDDING:
            if net.prefixlen < prefix.prefixlen and prefix.subnet_of(net):
                return f"{net} contains {prefix}, IPv6 forms of every IPv4 address"
        if any(net.overlaps(n) for n in _V6_INTERNAL):
            return f"{net} is an internal IPv6 range"
        v4 = embedded_ipv4(net)
        if v4 is None:
            return None
        reason = internal_reason(v4)
        return None if reason is None else f"{net} is {v4} in IPv6 form: {reason}"
    if any(net.overlaps(n) for n in _V4_INTERNAL):
        return f"{net} is an internal range (would block our own traffic)"
    return None


def block_problems(
    addresses: Sequence[object],
    *,
    max_entries: int,
    min_ipv4_prefix: int,
    min_ipv6_prefix: int,
    max_ipv4_addresses: int,
    max_ipv6_64s: int,
) -> list[str]:
    """Why this list may not be blocked (empty when it may)."""
    if not addresses:
        return ["no addresses to block"]
    problems = []
    if len(addresses) > max_entries:
        problems.append(f"{len(addresses)} addresses over the limit of {max_entries}")
    v4_total = v6_total = 0
    for raw in addresses:
        try:
            net = ipaddress.ip_network(str(raw).strip(), strict=False)
        except ValueError:
            problems.append(f"{str(raw)[:60]!r} is not an IP address or CIDR")
            continue
        minimum = min_ipv4_prefix if net.version == 4 else min_ipv6_prefix
        if net.prefixlen < minimum:
            problems.append(f"{net} is wider than /{minimum}")
            continue
        if reason := internal_reason(net):
            problems.append(reason)
            continue
        if net.version == 4:
            v4_total += net.num_addresses
        else:
            v6_total += 2 ** max(0, 64 - net.prefixlen)
    if v4_total > max_ipv4_addresses:
        problems.append(f"{v4_total} IPv4 addresses in all, over the cap of {max_ipv4_addresses}")
    if v6_total > max_ipv6_64s:
        problems.append(f"{v6_total} IPv6 /64 networks in all, over the cap of {max_ipv6_64s}")
    return problems


def waf_cidr(address: str) -> str:
    """WAF IP sets want CIDR notation: a bare address becomes /32 (or /128); an IPv4-mapped
    IPv6 address becomes the IPv4 address it is (IPv4 IP sets take only IPv4)."""
    net = ipaddress.ip_network(address.strip(), strict=False)
    if isinstance(net, IPv6Net) and net.subnet_of(_EMBEDDING[0][0]):
        v4 = embedded_ipv4(net)
        if v4 is not None:
            return str(v4)
    return str(net)
