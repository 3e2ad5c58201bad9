"""The example notebook docs/examples/quickstart.ipynb runs, cell by cell, and computes the right numbers.

No Jupyter needed: the notebook is our own file, so its code cells are executed in order
in one namespace, and a cell's last expression is displayed as Jupyter would (its
``_repr_latex_`` when it has one). The results are checked against the hand-written
gradient flow integrated with SciPy at high accuracy and against hand derivations.
"""

import ast
import contextlib
import io
import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "examples" / "quickstart.ipynb"


def load() -> dict:
    return json.loads(NOTEBOOK.read_text())


def run_cell(source: str, namespace: dict, name: str):
    """Execute ``source``; return the value of its last expression (``None`` if it ends in a statement)."""
    tree = ast.parse(source, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


@pytest.fixture(scope="module")
def executed():
    """The namespace after every code cell, what each cell printed, and the LaTeX each displayed."""
    matplotlib.use("Agg")  # plt.show() draws nothing
    import matplotlib.pyplot as plt

    namespace, printed, latex = {"__name__": "__main__"}, [], []
    code_cells = [cell for cell in load()["cells"] if cell["cell_type"] == "code"]
    for index, cell in enumerate(code_cells):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            value = run_cell("".join(cell["source"]), namespace, f"quickstart.ipynb code cell {index + 1}")
        printed.append(out.getvalue())
        if hasattr(value, "_repr_latex_"):
            latex.append(value._repr_latex_())
    plt.close("all")
    return namespace, "".join(printed), latex


def test_notebook_is_a_clean_nbformat_4_file():
    notebook = load()
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] >= 4
    assert notebook["metadata"]["kernelspec"]["language"] == "python"
    ids = [cell["id"] for cell in notebook["cells"]]
    assert len(set(ids)) == len(ids)
    kinds = {cell["cell_type"] for cell in notebook["cells"]}
    assert kinds == {"markdown", "code"}
    for cell in notebook["cells"]:
        assert isinstance(cell["source"], list) and isinstance(cell["metadata"], dict)
        if cell["cell_type"] == "code":  # shipped without outputs: the tests run it
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_derivation_displays_and_summarises(executed):
    namespace, printed, latex = executed
    hard = namespace["hard"]
    assert hard.certified and hard.status == "ok"
    assert "<Derivation hard × cross-entropy, T=100, c=1000, α=1/1000, β=1/999: certified" in printed
    # the derivation, its first integral and its fixed focus are shown as display math
    assert len(latex) >= 3 and all(text.startswith(r"$$\begin{aligned}") for text in latex)
    assert any(r"\operatorname{Li}_{2}" in text for text in latex)
    # hand derivation: the incentive -dL/dp = l(0) - l(v) tends to l(0) = log(1 + (c - 1)) = log c
    assert sp.simplify(namespace["incentive_limit"] - sp.log(1000)) == 0


def hard_flow(T, c, alpha, beta, loss, loss_derivative):
    """du/dt = -alpha p (1 - p) (l(v) - l(0)), dv/dt = -beta p l'(v), written out by hand."""

    def rhs(_, y):
        u, v = y
        p = 1.0 / (1.0 + (T - 1) * np.exp(-u))
        return [-alpha * p * (1 - p) * (loss(v) - loss(0.0)), -beta * p * loss_derivative(v)]

    return rhs


def reference(rhs, times):
    solution = solve_ivp(rhs, (0.0, times[-1]), [0.0, 0.0], method="DOP853", t_eval=times, rtol=1e-12, atol=1e-12)
    assert solution.success
    return solution.y


def test_closed_trajectory_matches_the_integrated_flow(executed):
    namespace, _, _ = executed
    run = namespace["run"]
    a = 999.0  # c - 1
    rhs = hard_flow(100, 1000, 1 / 1000, 1 / 999, lambda v: np.log1p(a * np.exp(-v)),
                    lambda v: -a * np.exp(-v) / (1 + a * np.exp(-v)))
    u, v = reference(rhs, run.t)
    # closed form vs DOP853 at rtol 1e-12 over t in [0, 2e5]: both ~1e-10; 1e-7 leaves room for the integrator
    assert np.max(np.abs(run.u - u)) < 1e-7
    assert np.max(np.abs(run.v - v)) < 1e-7
    assert run.p[-1] == pytest.approx(1 / (1 + 99 * np.exp(-u[-1])), rel=1e-9)  # p = e^u / (e^u + T - 1)


def test_comparison_reports_agreement(executed):
    check = executed[0]["check"]
    assert check.max_abs_u_closed_vs_ode < 1e-8 and check.max_abs_v_closed_vs_ode < 1e-8  # measured ~1e-11
    assert check.gd_order == pytest.approx(1.0, abs=0.05)  # gradient descent is first order in the step


def test_custom_model_matches_the_integrated_flow(executed):
    namespace, printed, _ = executed
    run = namespace["custom_run"]
    assert run.ok and namespace["custom_model"].quadrature_parts == ("B(v)",)
    # l(v) = log(1 + e^{-v/tau}) with tau = 1/2, hard attention, T = 10, alpha = beta = 1
    rhs = hard_flow(10, 2, 1.0, 1.0, lambda v: np.log1p(np.exp(-2 * v)), lambda v: -2 * np.exp(-2 * v) / (1 + np.exp(-2 * v)))
    u, v = reference(rhs, run.t)
    # closed form with B(v) by Gauss-Legendre quadrature vs DOP853 at rtol 1e-12: agreement to ~1e-10
    assert np.max(np.abs(run.u - u)) < 1e-7
    assert np.max(np.abs(run.v - v)) < 1e-7
    assert "closed form vs ODE: max |du| = " in printed
