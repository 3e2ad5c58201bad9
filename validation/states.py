r"""Models of ``n`` state variables on the command line: ``derive``, ``trajectory``, ``compare`` with ``--state``, and ``laws``.

The comparison integrates the flow with ``solve_ivp`` (DOP853, rtol 1e-11) and runs
gradient descent for a ladder of learning rates :math:`\eta`: the largest
:math:`|\theta_i^{\mathrm{gd}}(k\eta) - \theta_i(k\eta)|` over the states and the fitted
order (1 expected, gradient descent being the Euler scheme of the flow).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytic.errors import BadInput, NotResolved
from trajectories.nstate import CompiledStates, state_gradient_descent, state_ode

from .compare import DEFAULT_LRS, MAX_GD_STEPS, fitted_order


@dataclass(frozen=True)
class StateComparison:
    """Gradient descent against the ODE, per state, for a ladder of learning rates."""

    names: tuple[str, ...]
    start: dict
    t_end: float
    gd_errors: tuple  # (lr, {state: max |gd - ode|})
    gd_order: float

    def to_dict(self) -> dict:
        return {"states": list(self.names), "start": self.start, "t_end": self.t_end,
                "gd_vs_ode": [{"lr": lr, "max_abs": errors} for lr, errors in self.gd_errors],
                "gd_order": self.gd_order}

    def text(self) -> str:
        lines = [f"states {', '.join(self.names)} from {self.start} to t = {self.t_end:g}: gradient descent vs ODE"]
        for lr, errors in self.gd_errors:
            lines.append(f"  lr = {lr:g}: " + ", ".join(f"max|d{name}| = {error:.3e}" for name, error in errors.items()))
        lines.append(f"  fitted order in lr: {self.gd_order:.3f} (1 expected)")
        return "\n".join(lines)


def compare_states(compiled: CompiledStates, start: dict, t_end: float, *, lrs=DEFAULT_LRS) -> StateComparison:
    """Gradient descent at each ``lr`` against the dense ``solve_ivp`` solution at :math:`t = k\\eta`."""
    steps = sum(float(t_end) / float(lr) for lr in lrs)
    if not steps <= MAX_GD_STEPS:
        raise BadInput(f"`t_end` = {float(t_end):g} needs {steps:.1e} gradient-descent steps over the learning rates: "
                         f"more than {MAX_GD_STEPS:.0e}; lower it")
    errors = []
    for lr in lrs:
        gd = state_gradient_descent(compiled, start, lr, int(round(t_end / lr)))
        if not gd.ok:
            raise BadInput(f"`lr` = {lr:g}: {gd.message}")
        ode = state_ode(compiled, start, float(gd.t[-1]), len(gd.t))  # at t = k lr, k = 0, ..., steps
        if not ode.ok:
            raise NotResolved(f"the ODE could not be integrated: {ode.message}")
        reference = ode.y
        errors.append((float(lr), {name: float(np.max(np.abs(gd.y[i] - reference[i]))) for i, name in enumerate(compiled.names)}))
    order = fitted_order([lr for lr, _ in errors], [max(e.values()) for _, e in errors])
    return StateComparison(compiled.names, dict(start), float(t_end), tuple(errors), order)

