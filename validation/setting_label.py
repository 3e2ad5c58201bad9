r"""The setting a figure shows, in words and symbols, for titles (matplotlib) and captions (LaTeX).

``paper preset: cross-entropy loss, $c = 1000$, $T = 100$, $\alpha = 1/1000$, $\beta = 1/999$``
(in a title plain text, ``α = 1/1000``):
the preset is named only when the study is exactly that preset (an overridden loss or rate
drops the name, so a title never claims a preset it does not show); the numbers always appear.
"""

from __future__ import annotations

import sympy as sp

from analytic.losses import uses_classes
from analytic.paradigms import FIRST_STAGE
from trajectories.presets import Study


def setting_label(study: Study, *, latex: bool = False, focus: bool = True) -> str:
    r"""The loss and the numbers of ``study``.

    ``latex`` writes a custom loss or attention map with :func:`sympy.latex` (for a caption) instead of
    plain text (matplotlib's mathtext does not parse every LaTeX construct); ``focus=False`` leaves out
    :math:`T`, :math:`\alpha`, the attention map and the start, which the fixed-focus evolution does not use.

    Examples
    --------
    >>> setting_label(Study.from_preset("small"), latex=True)
    'small preset: cross-entropy loss, $c = 2$, $T = 10$, $\\alpha = 1$, $\\beta = 1$'
    """
    setting = study.setting
    alpha, beta, start = (r"\alpha", r"\beta", "(u_0, v_0)") if latex else ("α", "β", "(u0, v0)")
    symbols = [f"c = {setting.classes}"] if uses_classes(setting.loss) else []
    if focus:
        symbols += [f"T = {number(setting.segments)}", f"{alpha} = {number(setting.alpha)}"]
    symbols.append(f"{beta} = {number(setting.beta)}")
    if focus and (study.u0, study.v0) != (0.0, 0.0):
        symbols.append(f"{start} = ({study.u0:g}, {study.v0:g})")
    # a title is plain text: matplotlib parses each math run several times per figure, a tenth of a second each
    parts = [loss_label(setting, latex=latex)] + ([f"${s}$" for s in symbols] if latex else symbols)
    if focus and setting.attention is not None:
        parts.append(f"$p(u) = {sp.latex(setting.attention)}$" if latex else f"p(u) = {setting.attention}")
    preset = preset_name(study)
    return (f"{preset} preset: " if preset else "") + ", ".join(parts)


def loss_label(setting, *, latex: bool = False) -> str:
    """``cross-entropy loss``, ``square loss``, or the custom per-segment loss with its parameters."""
    if isinstance(setting.loss, str):
        return f"{setting.loss} loss"
    expr = setting.segment_loss.expr
    if latex:
        text = rf"custom loss $\ell(v) = {sp.latex(expr)}$"
        values = [f"${sp.latex(sp.Symbol(name))} = {number(value)}$" for name, value in setting.params]
    else:
        text = f"custom loss ℓ(v) = {expr}"
        values = [f"{name} = {number(value)}" for name, value in setting.params]
    return text + (" with " + ", ".join(values) if values else "")


def preset_name(study: Study) -> str | None:
    """The preset ``study`` is, unchanged (``None`` if none or if an option overrode it)."""
    if study.name is None:
        return None
    try:
        reference = Study.from_preset(study.name)
    except ValueError:
        return None
    same_setting = reference.for_paradigm(FIRST_STAGE) == study.for_paradigm(FIRST_STAGE)
    return study.name if same_setting and (reference.u0, reference.v0) == (study.u0, study.v0) else None


def number(value) -> str:
    """An exact fraction as ``1/999``, a float in ``%g``."""
    if isinstance(value, (int, sp.Integer, sp.Rational)):
        return str(value)
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() and abs(as_float) < 1e15 else f"{as_float:g}"
