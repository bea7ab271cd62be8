"""How long one run of a test may take in a paired worker before the gate gives up on it.

The workers call pytest's run protocol themselves, so a plugin's per-test timeout does not
guard them, and a base test that hangs would hang the gate. Unless the user fixes a limit
(``--greenbudget-against-timeout``), a run's limit comes from the head's own runs of the same
test in this job: ``FACTOR`` times the slowest, at least ``AT_LEAST_S``. The head runs a test
first until its time is known; that first run, and start-up and collection, get ``FIRST_S``.
Pure: no pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FACTOR = 10.0  # a base 10x slower than the head is a hang, or a regression no gate can wait for
AT_LEAST_S = 60.0  # a test of a few milliseconds still gets a minute
OPTION = "--greenbudget-against-timeout"
FIRST_S = 600.0  # before the head has run the test once, and a worker's start-up


@dataclass
class RunLimits:
    fixed: float | None = None  # --greenbudget-against-timeout, for every run and start-up
    head_s: dict[str, float] = field(default_factory=dict)  # the head's slowest run per test

    def knows(self, nodeid: str) -> bool:
        return self.fixed is not None or nodeid in self.head_s

    def limit(self, nodeid: str) -> float:
        if self.fixed is not None:
            return self.fixed
        seen = self.head_s.get(nodeid)
        return FIRST_S if seen is None else max(AT_LEAST_S, FACTOR * seen)

    @property
    def startup(self) -> float:
        return FIRST_S if self.fixed is None else max(self.fixed, FIRST_S)

    def record(self, nodeid: str, side: str, seconds: float) -> None:
        if side == "head":
            self.head_s[nodeid] = max(seconds, self.head_s.get(nodeid, 0.0))

    def timed_out(self, nodeid: str, side: str, limit: float) -> str:
        """Why a test that timed out is not compared, for its message."""
        return (
            f"timed out on the {side} side: one run took over {limit:.0f} s "
            f"(the limit: {self.explain(nodeid)}); not compared"
        )

    def explain(self, nodeid: str) -> str:
        """Where the limit came from, and how to change it."""
        if self.fixed is not None:
            return OPTION
        seen = self.head_s.get(nodeid)
        if seen is None:
            return f"{FIRST_S:.0f} s before the head's time is known; {OPTION} sets it"
        return (
            f"{FACTOR:g}x the head's slowest run, {seen:.2g} s, at least {AT_LEAST_S:.0f} s; "
            f"{OPTION} sets it"
        )
