"""The outcome of inspecting one part: every check, what was measured, and by how much
a failed check missed its limit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """One check of one part.

    Attributes:
        name: what was checked (``dimension.length``, ``color``, ``surface_mark``).
        passed: whether the measured value is within the limit.
        measured: the measured quantity (a dimension [m], a colour difference ΔE, a mark
            area [m²]).
        nominal: what it should be (the nominal dimension; 0 for ΔE and mark area).
        limit: the largest allowed deviation from nominal, in the same unit.
        excess: how far beyond the limit the deviation is (0 when passed).
        unit: the unit of measured, nominal, limit and excess.
    """

    name: str
    passed: bool
    measured: float
    nominal: float
    limit: float
    excess: float
    unit: str

    def describe(self) -> str:
        """One line: the check, the measurement, the limit and, if failed, the excess."""
        state = "ok" if self.passed else f"FAIL by {self.excess:.4g} {self.unit}"
        return (
            f"{self.name}: {self.measured:.4g} {self.unit} (nominal {self.nominal:.4g}, "
            f"limit ±{self.limit:.4g}) {state}"
        )


@dataclass(frozen=True)
class Verdict:
    """Whether a part passes inspection, and why.

    Attributes:
        part_type: the catalogue type the part was identified as.
        checks: every check made.
    """

    part_type: str
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.passed)

    def reasons(self) -> str:
        """The failed checks in words, or ``"pass"``."""
        return "; ".join(c.describe() for c in self.failed) or "pass"
