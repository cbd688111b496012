"""Time budgets: a bounded operation is asserted at its budget plus one small margin, never at a
multiple of it (a test allowing 20 s for a 2 s budget cannot catch a budget that is ignored)."""

from __future__ import annotations

MARGIN_S = 0.5  # stopping threads and sockets after the budget, on a loaded 2-core machine


def assert_within_budget(elapsed_s: float, budget_s: float, what: str = "it") -> None:
    """`elapsed_s` <= `budget_s` + MARGIN_S, or an AssertionError saying by how much."""
    assert elapsed_s <= budget_s + MARGIN_S, (
        f"{what} took {elapsed_s:.3f} s: budget {budget_s} s + margin {MARGIN_S} s"
    )
