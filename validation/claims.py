r"""The paper's narrative as four claims, tested at every setting of a sweep.

With :math:`t_k(p)` the first time paradigm :math:`k` reaches attention :math:`p`,
a low target :math:`p_\ell` and a high target :math:`p_h`:

- *soft leaves the plateau first*: :math:`t_{\mathrm{soft}}(p_\ell) < t_{\mathrm{hard}}(p_\ell), t_{\mathrm{LVML}}(p_\ell)`;
- *hard reaches high attention first*: :math:`t_{\mathrm{hard}}(p_h) < t_{\mathrm{soft}}(p_h), t_{\mathrm{LVML}}(p_h)`;
- *LVML in between*: :math:`t_{\mathrm{LVML}}` lies between soft's and hard's at both targets;
- *soft-then-hard beats both*: the hybrid reaches :math:`p_h` before soft and before hard.

A time that is not reached counts as :math:`+\infty`; a setting where a claim
compares two infinite times, where every paradigm starts past the target, or
with an unresolved time, is *undecided* (neither).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytic.errors import BadInput
from analytic.paradigms import FIRST_STAGE, PAPER_AFTER, PAPER_PARADIGMS, PARADIGMS
from trajectories.choices import number_label
from trajectories.sweep import Outcome

from .sweep import SweepReport

CLAIMS = {
    "soft_first_low": "soft leaves the plateau first",
    "hard_first_high": "hard reaches high attention first",
    "lvml_between": "LVML lies in between",
    "hybrid_beats_both": "soft-then-hard beats both",
}


@dataclass(frozen=True)
class ClaimMaps:
    """Per claim, per setting: 1 holds, 0 fails, -1 undecided; and the targets and hybrid used."""

    low: float
    high: float
    hybrid: str | None
    maps: dict

    def share(self, name: str) -> tuple[int, int]:
        """(settings where the claim holds, settings where it is decided)."""
        values = self.maps[name]
        return int(np.sum(values == 1)), int(np.sum(values >= 0))


def _times(report: SweepReport, column: str, target: float) -> tuple[np.ndarray, np.ndarray]:
    """Times (unreached -> inf) and whether each is decided (reached or truly unreachable/late)."""
    result = report.results[column]
    j = report.request.targets.index(target)
    outcome = result.outcome[:, j]
    time = result.reached(j)
    decided = np.isin(outcome, (Outcome.REACHED, Outcome.UNREACHABLE, Outcome.BEYOND_HORIZON))
    return time, decided


def _verdict(holds: np.ndarray, decided: np.ndarray) -> np.ndarray:
    return np.where(decided, holds.astype(int), -1)


def claim_maps(report: SweepReport, low: float | None = None, high: float | None = None) -> ClaimMaps:
    """Test the four claims at every setting (targets default to the sweep's lowest and highest)."""
    targets = report.request.targets
    low = targets[0] if low is None else low
    high = targets[-1] if high is None else high
    for label, value in (("low", low), ("high", high)):
        if value not in targets:
            raise BadInput(f"`{label}` target {value!r} is not among the sweep's targets {list(targets)}")
    for name in PAPER_PARADIGMS:
        if name not in report.results:
            raise BadInput(f"the claims compare {', '.join(PAPER_PARADIGMS)}: the sweep has no {name} column")
    (soft_l, d1), (hard_l, d2), (lvml_l, d3) = (_times(report, name, low) for name in PAPER_PARADIGMS)
    (soft_h, d4), (hard_h, d5), (lvml_h, d6) = (_times(report, name, high) for name in PAPER_PARADIGMS)
    # a target reached at the start by every paradigm (time 0) decides nothing
    moving_l = np.maximum(np.maximum(soft_l, hard_l), lvml_l) > 0
    moving_h = np.maximum(np.maximum(soft_h, hard_h), lvml_h) > 0
    d1, d4 = d1 & moving_l, d4 & moving_h
    with np.errstate(invalid="ignore"):
        maps = {
            "soft_first_low": _verdict((soft_l < hard_l) & (soft_l < lvml_l), d1 & d2 & d3 & np.isfinite(soft_l)),
            "hard_first_high": _verdict((hard_h < soft_h) & (hard_h < lvml_h), d4 & d5 & d6 & np.isfinite(hard_h)),
            "lvml_between": _verdict(_between(lvml_l, soft_l, hard_l) & _between(lvml_h, soft_h, hard_h),
                                     d1 & d2 & d3 & d4 & d5 & d6 & np.isfinite(lvml_h)),
        }
    hybrids = [name for name in report.results if name.startswith(f"{FIRST_STAGE}:{PAPER_AFTER}@")]
    hybrid = hybrids[0] if hybrids else None
    if hybrid is not None:
        mixed, d7 = _times(report, hybrid, high)
        maps["hybrid_beats_both"] = _verdict((mixed < soft_h) & (mixed < hard_h), d4 & d5 & d7 & np.isfinite(mixed))
    return ClaimMaps(low, high, hybrid, maps)


def _between(x, a, b) -> np.ndarray:
    return (np.minimum(a, b) <= x) & (x <= np.maximum(a, b))


def _span(values: np.ndarray) -> str:
    low, high = float(np.min(values)), float(np.max(values))
    return f"{low:g}" if low == high else f"{low:g}..{high:g}"


def _winner(report: SweepReport, target: float, rows: np.ndarray) -> tuple[str, float]:
    """The paradigm most often first to ``target`` among ``rows``, and its share of them."""
    names = [name for name in PAPER_PARADIGMS if name in report.results]
    times = np.stack([_times(report, name, target)[0][rows] for name in names], axis=1)
    first = np.argmin(times, axis=1)
    counts = np.bincount(first, minlength=len(names))
    return names[int(np.argmax(counts))], float(np.max(counts) / max(1, rows.size))


def claims_paragraph(report: SweepReport, claims: ClaimMaps | None = None, *, point: dict | None = None) -> list[str]:
    """One sentence per claim, generated from the numbers: where it holds, where it fails and who wins there.

    ``point`` (e.g. ``{"segments": 100, "classes": 1000}``) names a setting of the grid whose verdicts are quoted.
    """
    claims = claims or claim_maps(report)
    settings = report.settings
    axes = [name for name in ("segments", "classes", "alpha", "beta", "u0", "v0") if len(report.request.axes.get(name, ())) > 1]
    at = None
    if point is not None:
        match = np.all([settings[name] == value for name, value in point.items()], axis=0)
        at = int(np.nonzero(match)[0][0]) if np.any(match) else None
    sentences = []
    for name, verdicts in claims.maps.items():
        held, decided = claims.share(name)
        title = CLAIMS[name][0].upper() + CLAIMS[name][1:]
        text = f"{title}: holds at {held} of {decided} decided settings ({100 * held / max(1, decided):.0f}%)"
        holding = np.nonzero(verdicts == 1)[0]
        if holding.size:
            text += f" ({', '.join(f'{axis} {_span(settings[axis][holding])}' for axis in axes)})"
        failing = np.nonzero(verdicts == 0)[0]
        if failing.size:
            where = ", ".join(f"{axis} {_span(settings[axis][failing])}" for axis in axes)
            text += f"; it fails at {failing.size} ({where})"
            if name in ("soft_first_low", "hard_first_high"):
                target = claims.low if name == "soft_first_low" else claims.high
                winner, share = _winner(report, target, failing)
                text += f", where {PARADIGMS[winner].spoken} is first to p = {number_label(target)} at {100 * share:.0f}% of them"
        if at is not None:
            verdict = {1: "holds", 0: "fails", -1: "is undecided"}[int(verdicts[at])]
            text += f". At {', '.join(f'{k} = {v:g}' for k, v in point.items())} it {verdict}"
        sentences.append(text + ".")
    return sentences
