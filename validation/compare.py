r"""Every closed form against computations that do not use it.

- closed form vs ``solve_ivp`` (DOP853, rtol 1e-11): max :math:`|\Delta u|`, :math:`|\Delta v|`
  at common times, and the drift of the first integral along the ODE solution;
- gradient descent vs the flow at :math:`t = k\eta` for a ladder of :math:`\eta`,
  and the fitted order (1 expected), plus the first integral's drift along it;
- the full model at :math:`\sigma = 0` vs reduced gradient descent (agreement to
  rounding, parameters staying symmetric), and with :math:`\sigma > 0` the gap as
  a function of the number of samples (reported, not expected to vanish).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from analytic.errors import BadInput, NotResolved
from analytic.losses import CLASS_LOSS, LOSSES, uses_classes
from analytic.report import json_number
from trajectories.closed import closed_trajectory
from trajectories.full import BINARY_DIMENSION, MAX_ELEMENTS, full_trajectory
from trajectories.gd import gradient_descent
from trajectories.model import Setting, reduced_model
from trajectories.ode import ode_trajectory, stable_max_step

from .numbers import latex_number

DEFAULT_LRS = (0.4, 0.2, 0.1, 0.05)
MAX_GD_STEPS = 2 * 10**6  # recorded gradient-descent steps of one comparison (about 100 MB and a minute)
COMPARE_POINTS = 201
FULL_STEPS = 200  # steps of the full model compared with reduced gradient descent
FULL_MAX_ELEMENTS = 5 * 10**6  # examples x segments x classes of the population tensor
FULL_LR = 0.1
NOISE_SAMPLES = (100, 1000)
NOISE_SIGMA = 0.1


@dataclass(frozen=True)
class Comparison:
    """Errors of the closed form and the discrete methods for one setting and start."""

    setting: Setting
    u0: float
    v0: float
    t_end: float
    max_abs_u_closed_vs_ode: float
    max_abs_v_closed_vs_ode: float
    invariant_drift_ode: float
    invariant_drift_gd: float
    gd_errors: tuple
    gd_order: float
    full_variant: str | None
    full_zero_noise_max_abs: float | None
    full_max_asymmetry: float | None
    noise_gaps: tuple
    no_closed_form: str | None = None

    def to_dict(self) -> dict:
        return {
            "paradigm": self.setting.paradigm_name,
            "loss": self.setting.loss_name,
            "model": self.setting.model_text,
            "classes": self.setting.classes,
            "segments": json_number(self.setting.segments),
            "alpha": json_number(self.setting.alpha),
            "beta": json_number(self.setting.beta),
            "u0": self.u0,
            "v0": self.v0,
            "t_end": self.t_end,
            "max_abs_u_closed_vs_ode": self.max_abs_u_closed_vs_ode,
            "max_abs_v_closed_vs_ode": self.max_abs_v_closed_vs_ode,
            "invariant_drift_ode": self.invariant_drift_ode,
            "invariant_drift_gd": self.invariant_drift_gd,
            "gd_errors": [{"lr": lr, "max_abs_error": error} for lr, error in self.gd_errors],
            "gd_order": self.gd_order,
            "full_variant": self.full_variant,
            "full_zero_noise_max_abs": self.full_zero_noise_max_abs,
            "full_max_asymmetry": self.full_max_asymmetry,
            "no_closed_form": self.no_closed_form,
            "noise_gaps": [{"samples": n, "sigma": NOISE_SIGMA, "max_abs_gap": gap} for n, gap in self.noise_gaps],
        }


CONDITIONED = 1e-2  # drift measured only where |v - v*| exceeds this (see invariant_drift)


def invariant_drift(model, u, v) -> float:
    """max |I - I(0)| / max(1, |I(0)|) along (u, v).

    Near a finite minimiser v* (square loss, hard and LVML attention) the first
    integral contains log|v - v*|, which amplifies the rounding of v by
    1/|v - v*| and is infinite once v rounds to v*; points with
    |v - v*| < 1e-2 are left out, so the drift measures conservation, not
    that conditioning.
    """
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    if np.isfinite(model.minimiser):
        keep = np.abs(v - model.minimiser) >= CONDITIONED
        u, v = u[keep], v[keep]
    with np.errstate(all="ignore"):  # an invariant that overflows (e^u at u ~ 1e6) gives NaN, reported as null with a reason
        values = model.invariant(u, v)
        return float(np.max(np.abs(values - values[0])) / max(1.0, abs(values[0])))


def fitted_order(lrs, errors) -> float:
    """Least-squares slope of log(error) against log(lr)."""
    slope, _ = np.polyfit(np.log(lrs), np.log(errors), 1)
    return float(slope)


def compare(
    setting: Setting,
    u0: float = 0.0,
    v0: float = 0.0,
    t_end: float = 1000.0,
    *,
    lrs=DEFAULT_LRS,
    noise_samples=NOISE_SAMPLES,
) -> Comparison:
    """Run every cross-check for ``setting`` from ``(u0, v0)`` over ``[0, t_end]``.

    Gradient descent runs ``t_end / lr`` steps for each ``lr``, each recorded: more than
    :data:`MAX_GD_STEPS` in total is refused up front (memory and time), naming ``t_end``.
    """
    steps = sum(float(t_end) / float(lr) for lr in lrs)
    if not steps <= MAX_GD_STEPS:
        raise BadInput(f"`t_end` = {float(t_end):g} needs {steps:.1e} gradient-descent steps over the learning rates "
                         f"{', '.join(f'{lr:g}' for lr in lrs)}: more than {MAX_GD_STEPS:.0e} (memory and time); lower it")
    model = reduced_model(setting)
    closed = None  # a model without a first integral is checked by ODE against gradient descent only
    if model.has_first_integral:
        closed = closed_trajectory(model, u0, v0, t_end, COMPARE_POINTS)
        if not closed.ok:
            raise NotResolved(f"the closed form could not be evaluated: {closed.message}")
    ode = ode_trajectory(model, u0, v0, t_end, COMPARE_POINTS, max_step=stable_max_step(model))
    dense = ode.extras["dense"]
    gd_errors, drift_gd = [], float("nan")
    for lr in lrs:
        steps = int(round(t_end / lr))
        gd = gradient_descent(model, u0, v0, lr, steps, record_every=1)
        if not gd.ok:
            raise NotResolved(gd.message)
        reference = dense(gd.t)
        error = max(np.max(np.abs(gd.u - reference[0])), np.max(np.abs(gd.v - reference[1])))
        gd_errors.append((float(lr), float(error)))
        if closed is not None:
            drift_gd = invariant_drift(model, gd.u, gd.v)  # ends at the smallest lr
    full_variant, full_error, asymmetry, gaps = _full_model_checks(setting, model, u0, v0, noise_samples)
    return Comparison(
        setting=setting,
        u0=float(u0),
        v0=float(v0),
        t_end=float(t_end),
        max_abs_u_closed_vs_ode=None if closed is None else float(np.max(np.abs(closed.u - ode.u))),
        max_abs_v_closed_vs_ode=None if closed is None else float(np.max(np.abs(closed.v - ode.v))),
        invariant_drift_ode=None if closed is None else invariant_drift(model, ode.u, ode.v),
        invariant_drift_gd=None if closed is None else drift_gd,
        no_closed_form=None if closed is not None else model.derivation.message,
        gd_errors=tuple(gd_errors),
        gd_order=fitted_order([lr for lr, _ in gd_errors], [e for _, e in gd_errors]),
        full_variant=full_variant,
        full_zero_noise_max_abs=full_error,
        full_max_asymmetry=asymmetry,
        noise_gaps=gaps,
    )


def full_variant_for(setting: Setting) -> str | None:
    """Which full model reduces to ``setting`` (docs/setting.rst section 2), or ``None``.

    The symmetric model gives cross-entropy with c classes at alpha = 1/c,
    beta = 1/(c - 1); the binary model any margin loss (logistic for
    cross-entropy, so c = 2) at alpha = |mu_f|^2, beta = |mu_c|^2.
    """
    return _full_model(setting)[0]


def no_full_model_reason(setting: Setting) -> str | None:
    """Why no full model reduces to ``setting``, as LaTeX text (``None`` when one does)."""
    return _full_model(setting)[1]


def _full_model(setting: Setting) -> tuple[str | None, str | None]:
    """``(variant, None)``, or ``(None, why not)`` (see :func:`full_variant_for`)."""
    if (setting.expr is not None or setting.scheme.full is None or not isinstance(setting.loss, str) or setting.attention is not None
            or LOSSES[setting.loss].margin is None):
        return None, "a custom model has only the reduced model"
    c = setting.classes
    alpha, beta = sp.nsimplify(setting.alpha), sp.nsimplify(setting.beta)
    symmetric_rates = alpha == sp.Rational(1, c) and beta == sp.Rational(1, c - 1)
    size = c * c * float(setting.segments)
    if setting.loss == CLASS_LOSS and symmetric_rates and size <= FULL_MAX_ELEMENTS:
        return "symmetric", None
    if setting.loss != CLASS_LOSS or c == 2:
        return "binary", None
    if symmetric_rates:
        return None, (f"its population tensor has $c^2 T = {latex_number(size, 3, math_mode=False)}$ numbers, "
                      f"more than the ${latex_number(FULL_MAX_ELEMENTS, 1, math_mode=False)}$ it is run with")
    return None, r"with $c > 2$ classes a full model reduces to this setting only at $\alpha = 1/c$, $\beta = 1/(c - 1)$"


def _full_model_checks(setting, model, u0, v0, noise_samples):
    variant = full_variant_for(setting)
    segments = float(setting.segments)
    if variant is None or not segments.is_integer() or (variant == "binary" and 2 * segments * BINARY_DIMENSION > MAX_ELEMENTS):
        return None, None, None, ()
    common = dict(
        variant=variant, loss=setting.loss, classes=setting.classes, segments=int(segments),
        alpha=float(setting.alpha), beta=float(setting.beta), u0=u0, v0=v0, lr=FULL_LR, steps=FULL_STEPS,
    )
    with np.errstate(all="ignore"):  # a descent that leaves the finite range says so in its status (checked next)
        reduced = gradient_descent(model, u0, v0, FULL_LR, FULL_STEPS)
        full = full_trajectory(setting.paradigm, **common)
    _full_check_ran(reduced, full, common)
    error = max(np.max(np.abs(full.u - reduced.u)), np.max(np.abs(full.v - reduced.v)))
    gaps = []
    dimension = BINARY_DIMENSION if variant == "binary" else setting.classes
    for samples in [n for n in noise_samples if n * int(segments) * dimension <= MAX_ELEMENTS]:  # larger data: left out
        with np.errstate(all="ignore"):
            noisy = full_trajectory(setting.paradigm, **common, sigma=NOISE_SIGMA, samples=samples, seed=samples)
        _full_check_ran(reduced, noisy, common)
        gaps.append((samples, float(max(np.max(np.abs(noisy.u - reduced.u)), np.max(np.abs(noisy.v - reduced.v))))))
    return variant, float(error), float(full.extras["max_asymmetry"]), tuple(gaps)


def _full_check_ran(reduced, full, common: dict) -> None:
    """Both descents of the full-model check ran their steps: a one-line error naming the rates otherwise."""
    for run in (reduced, full):
        if not run.ok:
            raise BadInput(f"the full-model check (gradient descent at lr {common['lr']:g}, {common['steps']} steps) cannot run at "
                             f"`alpha` = {common['alpha']:g}, `beta` = {common['beta']:g} from (u0, v0) = ({common['u0']:g}, "
                             f"{common['v0']:g}): {run.status.reason}: {run.message}")


def comparison_text(comparison: Comparison) -> str:
    """A readable report."""
    d = comparison.to_dict()
    classes = f"c = {d['classes']}, " if uses_classes(d["loss"]) else ""
    lines = [
        f"{d['model']} ({classes}T = {d['segments']}, alpha = {d['alpha']}, beta = {d['beta']}),"
        f" start ({d['u0']}, {d['v0']}), t in [0, {d['t_end']:g}]",
    ]
    if d["no_closed_form"] is not None:
        lines.append(f"  closed form: none ({d['no_closed_form']}); gradient descent is checked against solve_ivp only")
    else:
        lines += [
            f"  closed form vs solve_ivp (DOP853, rtol 1e-11): max |du| = {d['max_abs_u_closed_vs_ode']:.2e},"
            f" max |dv| = {d['max_abs_v_closed_vs_ode']:.2e}",
            f"  first-integral drift: along the ODE {d['invariant_drift_ode']:.2e},"
            f" along gradient descent (lr = {d['gd_errors'][-1]['lr']}) {d['invariant_drift_gd']:.2e}",
        ]
    lines += [
        "  gradient descent vs flow: "
        + ", ".join(f"lr {e['lr']}: {e['max_abs_error']:.2e}" for e in d["gd_errors"])
        + f"; fitted order {d['gd_order']:.3f}",
    ]
    if d["full_variant"] is None:
        lines.append("  full model: no full model reduces to this setting (or it is too large); skipped")
    else:
        lines.append(
            f"  full {d['full_variant']} model (sigma = 0) vs reduced gradient descent: max |diff| = "
            f"{d['full_zero_noise_max_abs']:.2e}, largest asymmetry {d['full_max_asymmetry']:.2e}"
        )
        for gap in d["noise_gaps"]:
            lines.append(f"  full model with sigma = {gap['sigma']}, N = {gap['samples']}: max gap to reduced {gap['max_abs_gap']:.2e}")
    return "\n".join(lines)


def comparison_latex(comparison: Comparison) -> str:
    """A booktabs table of the cross-check errors."""
    d = comparison.to_dict()
    rows = [] if d["no_closed_form"] is not None else [
        (r"closed form vs ODE, $\max|\Delta u|$", d["max_abs_u_closed_vs_ode"]),
        (r"closed form vs ODE, $\max|\Delta v|$", d["max_abs_v_closed_vs_ode"]),
        (r"first-integral drift along the ODE", d["invariant_drift_ode"]),
    ]
    rows += [(rf"gradient descent, $\eta = {e['lr']}$", e["max_abs_error"]) for e in d["gd_errors"]]
    rows.append((r"gradient descent, fitted order", d["gd_order"]))
    if d["full_variant"] is not None:
        rows.append((r"full model ($\sigma = 0$) vs reduced", d["full_zero_noise_max_abs"]))
        rows.append((r"full model, largest asymmetry", d["full_max_asymmetry"]))
    body = "\n".join(f"    {name} & {_latex_number(value)} \\\\" for name, value in rows)
    return "\n".join(
        [r"\begin{tabular}{lr}", r"    \hline", r"    check & value \\", r"    \hline", body, r"    \hline", r"\end{tabular}"]
    )


def comparison_latex_cells(name: str, comparison: Comparison) -> tuple:
    """One table row's cells: errors of the closed form, GD order, full model (``None``: not run)."""
    d = comparison.to_dict()
    full = None if d["full_zero_noise_max_abs"] is None else _latex_number(d["full_zero_noise_max_abs"])
    return (name, _latex_number(d["max_abs_u_closed_vs_ode"]), _latex_number(d["max_abs_v_closed_vs_ode"]),
            _latex_number(d["invariant_drift_ode"]), f"{d['gd_order']:.3f}", full)


def _latex_number(value: float | None) -> str:
    return latex_number(value, 2)
