"""The WAF step never blocks our own traffic however IPv6 spells it, and never blocks more
than its cap of addresses in one action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aurastream_obs.ops.runbooks import Executor, Limits, RunbookRefused, RunbookSettings, plan_for
from aurastream_obs.ops.runbooks.addresses import waf_cidr
from aurastream_obs.ops.runbooks.plan import Action, violations
from support.runbooks import alert, state


def problems(*addresses: str, limits: Limits | None = None) -> list[str]:
    action = Action("waf.block_ips", "ip-set", {"addresses": list(addresses)})
    return violations(action, limits or Limits())


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.169.254",
        "0.0.0.0", "224.0.0.1", "255.255.255.255",
        "::ffff:10.0.0.1",  # IPv4-mapped, dotted
        "::ffff:a00:1",  # IPv4-mapped, hex: the same 10.0.0.1
        "::ffff:c0a8:101/128", "::ffff:10.0.0.0/104",  # mapped 192.168.1.1, mapped 10/8
        "::10.0.0.1",  # IPv4-compatible
        "64:ff9b::10.1.2.3", "64:ff9b::a01:203",  # NAT64 of 10.1.2.3
        "64:ff9b:1::1",  # local-use NAT64
        "2002:a00:1::/48", "2002:c0a8:101::1",  # 6to4 of 10.0.0.1 and 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fd00::1", "fc00::/48", "fe80::1", "fec0::1", "::1", "::", "ff02::1",
        "::/64",  # contains ::ffff:0:0/96: every IPv4 address, private ones included
    ],
)  # fmt: skip
def test_internal_ranges_in_every_spelling_are_refused(address: str) -> None:
    found = problems(address)
    assert found and any("internal" in p or "contains" in p or "wider" in p for p in found), found


@pytest.mark.parametrize(
    "address",
    ["198.51.100.7", "203.0.113.0/28", "::ffff:198.51.100.7", "64:ff9b::c633:6407",
     "2002:c633:6407::/48", "2001:db8::1", "2001:db8:1::/48"],
)  # fmt: skip
def test_public_sources_may_be_blocked(address: str) -> None:
    assert problems(address) == []


def test_ipv4_mapped_addresses_are_written_as_ipv4() -> None:
    assert waf_cidr("::ffff:198.51.100.7") == "198.51.100.7/32"
    assert waf_cidr("198.51.100.7") == "198.51.100.7/32"
    assert waf_cidr("2001:db8::1") == "2001:db8::1/128"


def test_a_cap_on_the_total_addresses_per_action() -> None:
    """50 /16 networks (3.3 M addresses) used to pass: 50 entries, each no wider than /16."""
    fifty_16s = [f"{n}.0.0.0/16" for n in range(11, 61)]
    assert any("IPv4 addresses in all, over the cap of 4096" in p for p in problems(*fifty_16s))
    sixteen_24s = [f"198.51.{n}.0/24" for n in range(16)]  # exactly 4,096
    assert problems(*sixteen_24s) == []
    assert any("over the cap" in p for p in problems(*sixteen_24s, "203.0.113.7"))
    two_48s = ["2001:db8:1::/48", "2001:db8:2::/48"]
    assert any("IPv6 /64 networks in all" in p for p in problems(*two_48s))
    tight = Limits(max_block_ipv4_addresses=16)
    assert problems("203.0.113.0/28", limits=tight) == []
    assert problems("203.0.113.0/27", limits=tight)


def test_a_refused_address_blocks_nothing_on_waf(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    before = state(clients, aws)
    a = alert("security-incident", suspicious_ips="198.51.100.7 ::ffff:a00:1")
    settings = RunbookSettings(environment=aws["env"], ip_set_name=aws["ip_set"]["Name"],
                               ip_set_id=aws["ip_set"]["Id"])  # fmt: skip
    with pytest.raises(RunbookRefused, match=r"::ffff:a00:1/128 is 10.0.0.1/32 in IPv6 form"):
        Executor(clients=clients).run(plan_for(a, settings), execute=True)
    assert state(clients, aws) == before


def test_a_public_mapped_address_lands_in_the_ipv4_ip_set(
    clients: Callable[[str], Any], aws: dict[str, Any]
) -> None:
    a = alert("security-incident", suspicious_ips="::ffff:198.51.100.9")
    settings = RunbookSettings(environment=aws["env"], ip_set_name=aws["ip_set"]["Name"],
                               ip_set_id=aws["ip_set"]["Id"])  # fmt: skip
    Executor(clients=clients).run(plan_for(a, settings), execute=True)
    assert "198.51.100.9/32" in state(clients, aws)["addresses"]
