"""Which names a budget's ``meter:`` may use. Pure: the plugin hands in what its hook says.

A budget set with another meter than measured is reported, not enforced; so a name that no
meter has (``CPUTIME``, ``cpu-time``, ``x:y``) switched a budget off in silence, and a test
at 1,795,850% of its budget read ``ok``. Every name is checked against the built-in meters,
the meters of this session, and the names a plugin's ``pytest_greenbudget_make_meter``
answers (asked once per name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import BUILTIN, unknown_meter


class MeterNames:
    """The known meter names; ``answers(name)`` asks the plugins about any other."""

    def __init__(self, in_use: Iterable[str], answers: Callable[[str], bool]) -> None:
        self.known = (set(BUILTIN) | set(in_use)) - {"auto"}  # auto names no meter
        self._answers = answers
        self._asked: dict[str, bool] = {}

    def problem(self, meter: str | None) -> str | None:
        """Why ``meter`` ('cputime', 'rapl+nvml') names no meter, or None when each part does."""
        for name in (meter or "").split("+") if meter else ():
            if name in self.known:
                continue
            if name not in self._asked:
                self._asked[name] = self._answers(name)
            if not self._asked[name]:
                return unknown_meter(name, self.known)
        return None
