r"""Gradient descent on the full (non-reduced) attention model (docs/setting.rst section 1).

Two models, each on the population loss (``sigma = 0``: one example per class,
or per sign) or on ``samples`` examples with Gaussian noise of standard
deviation ``sigma`` on every coordinate of every segment:

- ``"symmetric"``: c classes, inputs of T segments in :math:`\mathbb R^c`,
  foreground :math:`e_y`, focus :math:`s_j = w \cdot x_j`, logits :math:`W x`,
  cross-entropy; start :math:`w = u_0 \mathbf 1`, :math:`W = v_0 I`. Reduced
  coordinates: :math:`u = \bar w`, :math:`v = \overline{\operatorname{diag} W} -
  \overline{\operatorname{offdiag} W}`; the rates are :math:`\alpha = 1/c`,
  :math:`\beta = 1/(c - 1)`.
- ``"binary"``: :math:`y = \pm 1`, foreground :math:`\mu_f + y \mu_c` with
  :math:`|\mu_f|^2 = \alpha`, :math:`|\mu_c|^2 = \beta`, margin :math:`y\, c\cdot x`,
  any margin loss; start :math:`w = (u_0/\alpha) \mu_f`, :math:`c = (v_0/\beta) \mu_c`.
  Reduced coordinates: :math:`u = w \cdot \mu_f`, :math:`v = c \cdot \mu_c`.

Losses of one example (attention :math:`a = \operatorname{softmax}(s)`):
soft :math:`\ell(\text{classify } \sum_j a_j x_j)`, hard :math:`\sum_j a_j \ell_j`,
LVML :math:`-\log \sum_j a_j e^{-\ell_j}`. Gradients are written out by hand
(vectorised over examples) and checked against finite differences in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax, softmax

from analytic.errors import BadInput
from analytic.losses import CLASS_LOSS, LOSSES, loss_names
from analytic.paradigms import check_paradigm
from analytic.setting import shown

from .checks import MAX_STEPS, count, finite, nonnegative, positive
from .progress import progress
from .result import Status, Trajectory

VARIANTS = ("symmetric", "binary")
BINARY_DIMENSION = 4  # mu_f = sqrt(alpha) e1, mu_c = sqrt(beta) e2, two spare noise dimensions
MAX_ELEMENTS = 2 * 10**7  # numbers in the data tensor (0.16 GB; the gradients keep a few arrays of this size)


@dataclass(frozen=True)
class Data:
    """Examples: ``inputs`` (N, T, d), ``labels`` (N,) — class indices or +-1."""

    inputs: np.ndarray
    labels: np.ndarray


def symmetric_data(classes: int, segments: int, sigma: float = 0.0, samples: int | None = None, seed: int = 0) -> Data:
    """Foreground :math:`e_y` at segment 0, background 0; population when ``sigma = 0``."""
    classes, segments, sigma, samples, seed = _check_data("symmetric", classes, segments, sigma, samples, seed)
    if sigma == 0 and samples is None:
        labels = np.arange(classes)
    else:
        labels = np.random.default_rng(seed).integers(0, classes, size=samples)
    inputs = np.zeros((labels.size, segments, classes))
    inputs[np.arange(labels.size), 0, labels] = 1.0
    if sigma > 0:
        inputs += sigma * np.random.default_rng(seed + 1).standard_normal(inputs.shape)
    return Data(inputs, labels)


def binary_data(alpha: float, beta: float, segments: int, sigma: float = 0.0, samples: int | None = None, seed: int = 0) -> Data:
    """Foreground :math:`\\mu_f + y \\mu_c` at segment 0, background 0."""
    alpha, beta = positive(alpha, "alpha"), positive(beta, "beta")
    _, segments, sigma, samples, seed = _check_data("binary", None, segments, sigma, samples, seed)
    if sigma == 0 and samples is None:
        labels = np.array([1.0, -1.0])
    else:
        labels = np.random.default_rng(seed).choice([-1.0, 1.0], size=samples)
    inputs = np.zeros((labels.size, segments, BINARY_DIMENSION))
    inputs[:, 0, 0] = np.sqrt(alpha)
    inputs[:, 0, 1] = labels * np.sqrt(beta)
    if sigma > 0:
        inputs += sigma * np.random.default_rng(seed + 1).standard_normal(inputs.shape)
    return Data(inputs, labels)


def _check_data(variant: str, classes, segments, sigma, samples, seed) -> tuple:
    """The data's numbers checked (one-line errors naming each), and the tensor's size (:func:`_check_size`)."""
    classes = None if classes is None else count(classes, "classes", 2)
    segments, sigma = count(segments, "segments", 2), nonnegative(sigma, "sigma")
    samples = None if samples is None else count(samples, "samples")
    _check_samples(sigma, samples)
    _check_size(variant, classes, segments, samples)
    return classes, segments, sigma, samples, count(seed, "seed", 0)


def _check_size(variant: str, classes, segments: int, samples: int | None) -> None:
    """Refuse up front a data tensor (examples x segments x dimension) too large for memory, naming what makes it so."""
    dimension = BINARY_DIMENSION if variant == "binary" else count(classes, "classes", 2)
    examples = samples if samples is not None else (2 if variant == "binary" else dimension)
    elements = examples * segments * dimension  # Python ints: exact however large
    if elements > MAX_ELEMENTS:
        sizes = ([("samples", samples)] if samples is not None else []) + [("segments", segments)]
        sizes += [("classes", classes)] if variant != "binary" else []
        named = ", ".join(f"`{name}` = {shown(value)}" for name, value in sizes)
        raise BadInput(f"{named} make a data tensor of {shown(elements)} numbers ({shown(examples)} examples x "
                         f"{shown(segments)} segments x {shown(dimension)}): more than {MAX_ELEMENTS:.0e} (memory, several copies "
                         f"are kept); lower {' or '.join(f'`{name}`' for name, _ in sizes)}")


def _check_samples(sigma, samples) -> None:
    """Noisy data (``sigma > 0``) need a number of examples; the population (``sigma = 0``) does not."""
    if samples is None and sigma > 0:
        raise BadInput(f"`samples` is required when sigma > 0 (the number of noisy examples), got samples=None with sigma = {sigma:g}")


# --- per-segment margin losses for the binary model -----------------------------------
def _margin_loss(name: str, margin):
    """:math:`\\ell(m)` and :math:`\\ell'(m)`, stably: the loss registry entry's ``margin``."""
    entry = LOSSES.get(name)
    if entry is None or entry.margin is None:
        raise BadInput(f"`loss` must be one of {', '.join(full_losses())}, got {name!r}")
    return entry.margin(margin)


def full_losses() -> tuple[str, ...]:
    """The registered losses the full model can be trained with (those with a margin loss)."""
    return tuple(name for name in loss_names() if LOSSES[name].margin is not None)


def _attention_backward(attention, grad_attention):
    """Softmax backward: :math:`\\partial/\\partial s_j = a_j (g_j - \\sum_k a_k g_k)`."""
    return attention * (grad_attention - np.sum(attention * grad_attention, axis=1, keepdims=True))


def _expected(attention, segment_loss):
    r"""Hard attention: :math:`\sum_j a_j \ell_j`; weights :math:`a_j`, :math:`\partial/\partial a_j = \ell_j`."""
    return np.mean(np.sum(attention * segment_loss, axis=1)), attention, segment_loss


def _marginal(attention, segment_loss):
    r"""LVML: :math:`-\log M`, :math:`M = \sum_j a_j r_j`, :math:`r_j = e^{-\ell_j}`; weights
    :math:`a_j r_j / M`, :math:`\partial/\partial a_j = -r_j / M`."""
    likelihood = np.exp(-segment_loss)
    mixture = np.sum(attention * likelihood, axis=1, keepdims=True)
    return -np.mean(np.log(mixture)), attention * likelihood / mixture, -likelihood / mixture


#: The full model's aggregations of per-segment losses :math:`\ell_j` (N, T), by the
#: registry's ``Paradigm.full``: each returns the mean loss, the weights
#: :math:`\partial L/\partial \ell_j` (per example) and :math:`\partial L/\partial a_j`.
#: ``"pooled"`` (soft attention) classifies the attention-weighted input instead.
AGGREGATIONS = {"expected": _expected, "marginal": _marginal}
POOLED = "pooled"


def _aggregate(paradigm: str, attention, segment_loss):
    return AGGREGATIONS[full_aggregation(paradigm)](attention, segment_loss)


def full_aggregation(paradigm) -> str:
    """The full model's aggregation of ``paradigm`` (a name or a Paradigm); refuses custom paradigms."""
    entry = check_paradigm(paradigm)
    if entry.full is None or (entry.full != POOLED and entry.full not in AGGREGATIONS):
        raise BadInput(f"`paradigm` {entry.display!r} has no full (non-reduced) model: only the reduced model can be run")
    return entry.full


def symmetric_loss_and_gradient(paradigm: str, data: Data, w: np.ndarray, W: np.ndarray):
    """Mean loss and its gradients in ``w`` (c,) and ``W`` (c, c) for the class-symmetric model."""
    X, y = data.inputs, data.labels
    n = y.size
    attention = softmax(X @ w, axis=1)  # (N, T)
    onehot = np.eye(W.shape[0])[y]  # (N, c)
    if full_aggregation(paradigm) == POOLED:
        pooled = np.einsum("nt,ntc->nc", attention, X)
        logits = pooled @ W.T
        log_q = log_softmax(logits, axis=1)
        loss = -np.mean(log_q[np.arange(n), y])
        grad_logits = (np.exp(log_q) - onehot) / n
        grad_W = grad_logits.T @ pooled
        grad_attention = np.einsum("nc,ntc->nt", grad_logits @ W, X)
    else:
        logits = X @ W.T  # (N, T, c)
        log_q = log_softmax(logits, axis=2)
        segment_loss = -log_q[np.arange(n), :, y]  # (N, T)
        loss, weights, grad_attention = _aggregate(paradigm, attention, segment_loss)
        grad_logits = weights[..., None] * (np.exp(log_q) - onehot[:, None, :]) / n
        grad_W = np.einsum("ntc,ntk->ck", grad_logits, X)
        grad_attention = grad_attention / n
    grad_w = np.einsum("nt,ntc->c", _attention_backward(attention, grad_attention), X)
    return loss, grad_w, grad_W


def binary_loss_and_gradient(paradigm: str, loss_name: str, data: Data, w: np.ndarray, c: np.ndarray):
    """Mean loss and its gradients in ``w`` and ``c`` (both (d,)) for the binary model."""
    X, y = data.inputs, data.labels
    n = y.size
    attention = softmax(X @ w, axis=1)
    if full_aggregation(paradigm) == POOLED:
        pooled = np.einsum("nt,ntd->nd", attention, X)
        value, slope = _margin_loss(loss_name, y * (pooled @ c))
        loss = np.mean(value)
        grad_c = (slope * y) @ pooled / n
        grad_attention = np.einsum("n,d,ntd->nt", slope * y, c, X) / n
    else:
        value, slope = _margin_loss(loss_name, y[:, None] * (X @ c))  # (N, T)
        loss, weights, grad_attention = _aggregate(paradigm, attention, value)
        grad_c = np.einsum("nt,ntd->d", weights * slope * y[:, None], X) / n
        grad_attention = grad_attention / n
    grad_w = np.einsum("nt,ntd->d", _attention_backward(attention, grad_attention), X)
    return loss, grad_w, grad_c


def full_trajectory(
    paradigm: str,
    *,
    variant: str = "symmetric",
    loss: str = CLASS_LOSS,
    classes: int = 3,
    segments: int = 4,
    alpha: float = 1.0,
    beta: float = 1.0,
    u0: float = 0.0,
    v0: float = 0.0,
    lr: float = 0.1,
    steps: int = 100,
    sigma: float = 0.0,
    samples: int | None = None,
    seed: int = 0,
    record_every: int = 1,
) -> Trajectory:
    """Gradient descent on the full parameters; reports the reduced coordinates.

    ``extras["max_asymmetry"]`` is the largest departure of the parameters from
    their symmetric form over the run (0 up to rounding when ``sigma = 0``).
    """
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise BadInput(f"`variant` must be one of {', '.join(VARIANTS)}, got {shown(variant)}")
    full_aggregation(paradigm)
    lr, steps, record_every = positive(lr, "lr"), count(steps, "steps", maximum=MAX_STEPS), count(record_every, "record_every")
    u0, v0 = finite(u0, "u0"), finite(v0, "v0")
    classes, segments, sigma, samples, seed = _check_data(variant, classes if variant == "symmetric" else None, segments, sigma, samples, seed)
    if variant == "symmetric":
        if not isinstance(loss, str) or loss != CLASS_LOSS:
            raise BadInput(f"`loss` must be {CLASS_LOSS} for the symmetric model, got {shown(loss)}")
        data = symmetric_data(classes, segments, sigma, samples, seed)
        first, second = u0 * np.ones(classes), v0 * np.eye(classes)

        def gradient(a, b):
            return symmetric_loss_and_gradient(paradigm, data, a, b)

        reduce = _symmetric_coordinates
    else:
        alpha, beta = positive(alpha, "alpha"), positive(beta, "beta")
        if not isinstance(loss, str) or loss not in full_losses():
            raise BadInput(f"`loss` must be one of {', '.join(full_losses())}, got {shown(loss)}")
        data = binary_data(alpha, beta, segments, sigma, samples, seed)
        mu_f, mu_c = data_directions(alpha, beta)
        first, second = (u0 / alpha) * mu_f, (v0 / beta) * mu_c

        def gradient(a, b):
            return binary_loss_and_gradient(paradigm, loss, data, a, b)

        def reduce(a, b):
            return _binary_coordinates(a, b, mu_f, mu_c)

    records = {"t": [], "u": [], "v": []}
    asymmetry = 0.0
    status, message, diverged = Status.OK, "", None
    for k in progress(range(steps + 1), "full model", total=steps + 1):
        u, v, off = reduce(first, second)
        if not np.isfinite(u) or not np.isfinite(v):
            status, diverged = Status.DIVERGED, k
            message = f"gradient descent on the full model diverged at step {k} (t = {k * lr:g}) with lr = {lr:g}"
            break
        asymmetry = max(asymmetry, off)
        if k % record_every == 0 or k == steps:
            records["t"].append(k * lr)
            records["u"].append(u)
            records["v"].append(v)
        if k == steps:
            break
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and reported above
            _, grad_first, grad_second = gradient(first, second)
            first, second = first - lr * grad_first, second - lr * grad_second
    t, u, v = (np.array(records[key]) for key in ("t", "u", "v"))
    p = expit(u - np.log(segments - 1))
    return Trajectory(t, u, v, p, "full", status, message, diverged_at=diverged, extras={"max_asymmetry": asymmetry, "variant": variant})


def data_directions(alpha: float, beta: float):
    """:math:`\\mu_f = \\sqrt\\alpha e_1`, :math:`\\mu_c = \\sqrt\\beta e_2` in :math:`\\mathbb R^d`."""
    mu_f, mu_c = np.zeros(BINARY_DIMENSION), np.zeros(BINARY_DIMENSION)
    mu_f[0], mu_c[1] = np.sqrt(alpha), np.sqrt(beta)
    return mu_f, mu_c


def _symmetric_coordinates(w, W):
    """u = mean of w; v = mean diagonal - mean off-diagonal; and the asymmetry."""
    c = w.size
    off_mask = ~np.eye(c, dtype=bool)
    diagonal, off_diagonal = np.diag(W), W[off_mask]
    u = float(np.mean(w))
    v = float(np.mean(diagonal) - np.mean(off_diagonal))
    asymmetry = max(
        float(np.max(np.abs(w - u))),
        float(np.max(np.abs(diagonal - np.mean(diagonal)))),
        float(np.max(np.abs(off_diagonal - np.mean(off_diagonal)))),
    )
    return u, v, asymmetry


def _binary_coordinates(w, c, mu_f, mu_c):
    """u = w . mu_f, v = c . mu_c; asymmetry: parts of w, c off their directions."""
    u, v = float(w @ mu_f), float(c @ mu_c)
    off_w = w - (u / (mu_f @ mu_f)) * mu_f
    off_c = c - (v / (mu_c @ mu_c)) * mu_c
    return u, v, float(max(np.max(np.abs(off_w)), np.max(np.abs(off_c))))
