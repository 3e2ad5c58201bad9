r"""Definite integrals :math:`\int_a^{x} f(\xi)\,d\xi` on arrays of upper limits, with an error estimate.

Used for the parts of a first integral that have no antiderivative in closed
form. The upper limits are sorted; the range from :math:`a` to each of them is
cut into panels of width at most :data:`PANEL_WIDTH`, every panel is
integrated at once by 16-point Gauss–Legendre, and the panel sums are
accumulated, so an array of limits costs one vectorised pass over the range.
The error estimate per point is the accumulated :math:`|G_{16} - G_8|` (an
upper bound for smooth integrands: it measures the 8-point rule's error).

Examples
--------
>>> import numpy as np
>>> value, error = definite_integral(np.exp, 0.0, np.array([1.0, -1.0]))
>>> bool(np.allclose(value, [np.e - 1, np.exp(-1) - 1], rtol=1e-15, atol=0))
True
"""

from __future__ import annotations

import functools

import numpy as np

from analytic.errors import NotResolved

PANEL_WIDTH = 0.25
NODES, WEIGHTS = np.polynomial.legendre.leggauss(16)
COARSE_NODES, COARSE_WEIGHTS = np.polynomial.legendre.leggauss(8)
MAX_PANELS = 4_000_000  # panels of one call (64 M integrand evaluations)
TOLERANCE = 1e-8  # |G16 - G8| accumulated, relative to max(1, |value|): above it the value is NaN (unresolved)


def definite_integral(integrand, lower: float, upper):
    r""":math:`\int_{lower}^{x} f` for every ``x`` in ``upper`` and its error estimate (same shape).

    ``integrand`` takes a NumPy array. Limits that are not finite, integrands
    that are not finite on the way, and values whose error estimate exceeds
    :data:`TOLERANCE` (e.g. a pole between the nodes) give NaN, never a finite wrong value.
    """
    upper = np.asarray(upper, dtype=float)
    values, errors = np.full(upper.shape, np.nan), np.full(upper.shape, np.nan)
    flat = upper.ravel()
    finite = np.isfinite(flat)
    result, error = np.full(flat.shape, np.nan), np.full(flat.shape, np.nan)
    for direction in (1.0, -1.0):
        chosen = finite & (direction * (flat - lower) >= 0)
        if np.any(chosen):
            result[chosen], error[chosen] = _one_side(integrand, float(lower), flat[chosen], direction)
    with np.errstate(invalid="ignore"):
        unresolved = ~(error <= TOLERANCE * np.maximum(1.0, np.abs(result)))
    result[unresolved] = np.nan
    values[...] = result.reshape(upper.shape)
    errors[...] = error.reshape(upper.shape)
    return values, errors


def _one_side(integrand, lower: float, limits: np.ndarray, direction: float):
    order = np.argsort(direction * limits)
    ends = limits[order]
    edges = np.concatenate([[lower], ends])
    lengths = np.diff(edges)  # signed, all of the direction's sign
    counts = np.maximum(1, np.ceil(np.abs(lengths) / PANEL_WIDTH)).astype(int)
    if counts.sum() > MAX_PANELS:
        raise NotResolved(f"the integration range to {ends[-1]:g} needs more than {MAX_PANELS} quadrature panels")
    starts = np.repeat(edges[:-1], counts)
    widths = np.repeat(lengths / counts, counts)
    starts = starts + widths * (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    fine, _ = panels(integrand, starts, widths)
    coarse, _ = panels(integrand, starts, widths, COARSE_NODES, COARSE_WEIGHTS)
    boundaries = np.cumsum(counts) - counts
    per_interval = np.add.reduceat(fine, boundaries)
    per_error = np.add.reduceat(np.abs(fine - coarse), boundaries)
    out_value, out_error = np.empty_like(limits), np.empty_like(limits)
    out_value[order] = np.cumsum(per_interval)
    out_error[order] = np.cumsum(per_error)
    return out_value, out_error


def panels(integrand, starts, widths, nodes=NODES, weights=WEIGHTS):
    """Gauss–Legendre sums over the panels ``[starts, starts + widths]`` and the integrand's values at the nodes.

    ``integrand`` gets one flat array of all nodes (one vectorised call); the values are
    moved to the exact nodes by :func:`at_exact_nodes`.
    """
    offsets = widths[:, None] * (nodes[None, :] + 1) / 2
    points = starts[:, None] + offsets
    with np.errstate(all="ignore"):
        values = np.asarray(integrand(points.ravel()), dtype=float) * np.ones(points.size)
    values = at_exact_nodes(values.reshape(points.shape), points, starts[:, None], offsets, widths[:, None], nodes)
    return (values @ weights) * widths / 2, values


def at_exact_nodes(values, points, starts, offsets, widths, nodes=NODES):
    r"""Values at the panels' exact Gauss nodes from values at the nodes as rounded in float64.

    A panel only a few hundred roundings of :math:`s` wide (a coordinate that barely moves)
    has its nodes :math:`s_i = a + w(x_i + 1)/2` rounded by up to half a unit in the last
    place, the same way in every panel of the same width: a bias of the rule of order
    :math:`(f'/f)\,\mathrm{ulp}(s)` (issue 23). With :math:`\delta_i = \hat s_i - s_i`
    (exact: :math:`\hat s_i - a` is a difference of nearby floats),
    :math:`f(s_i) pprox f(\hat s_i) - f'(\hat s_i)\,\delta_i`, the slope from the panel's
    Legendre interpolant. The last axis of the arrays runs over the nodes.
    """
    shift = (points - starts) - offsets
    moved = shift != 0
    if not np.any(moved):
        return values
    with np.errstate(all="ignore"):
        slope = (values @ _slope_matrix(len(nodes))) * (2 / widths)
        return np.where(moved, values - slope * shift, values)


@functools.lru_cache(maxsize=4)
def _slope_matrix(count: int) -> np.ndarray:
    """Values at the ``count`` Gauss nodes -> the interpolant's derivative (in x in [-1, 1]) at them."""
    nodes, weights = np.polynomial.legendre.leggauss(count)
    projection = (np.polynomial.legendre.legvander(nodes, count - 1) * weights[:, None]) * ((2 * np.arange(count) + 1) / 2)
    derivatives = np.stack([np.polynomial.legendre.legval(nodes, np.polynomial.legendre.legder(np.eye(count)[k])) for k in range(count)], axis=1)
    return projection @ derivatives.T
