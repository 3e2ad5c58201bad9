"""Every command for every registry entry (issue 17): a new paradigm or loss is tested without a new test.

The entries are read from the registries at collection time (the built-ins and any an installed plugin
adds), plus the mixture paradigm and the temperature-2 logistic loss registered here through the public
functions. Each command must exit 0 and name the entry, or -- for what an entry cannot do -- leave the rest
standing and say why in one line naming the entry (a note, exit 0; or not available / not resolved, exit 1).
Never a traceback, never a usage error (exit 2) for a registered name.
"""

from __future__ import annotations

import pytest

import analytic
from analytic.losses import loss_names, unregister_loss
from analytic.paradigms import paradigm_names, unregister_paradigm
from validation.cli import main

REGISTERED_PARADIGM, REGISTERED_LOSS = "mixture", "logistic-t2"
PARADIGMS = (*paradigm_names(), REGISTERED_PARADIGM)
LOSSES = (*loss_names(), REGISTERED_LOSS)
SMALL = ("--preset", "small")


@pytest.fixture(autouse=True)
def registered():
    analytic.register_paradigm(REGISTERED_PARADIGM, "(l(p*v) + p*l(v) + (1-p)*l(0))/2", title="Mixture of soft and hard attention")
    analytic.register_loss(REGISTERED_LOSS, "log(1+exp(-v/2))", title="Logistic loss at temperature 2")
    try:
        yield
    finally:
        unregister_paradigm(REGISTERED_PARADIGM)
        unregister_loss(REGISTERED_LOSS)


def paradigm_commands(name: str) -> list[tuple[str, ...]]:
    return [
        ("derive", "--paradigm", name), ("derive", "--paradigm", name, "--format", "latex"),
        ("derive", "--paradigm", name, "--format", "json"),
        ("trajectory", "--paradigm", name, "--method", "ode", "--t-end", "5", *SMALL),
        ("trajectory", "--paradigm", name, "--method", "gd", "--t-end", "5", *SMALL),
        ("trajectory", "--paradigm", name, "--method", "closed", "--t-end", "5", *SMALL),
        ("compare", "--paradigm", name, "--t-end", "5", *SMALL),
        ("best-switch", "--after", name, "--target", "0.9", *SMALL),
    ]


def loss_commands(name: str) -> list[tuple[str, ...]]:
    return [
        ("derive", "--paradigm", "all", "--loss", name),
        ("milestones", "--loss", name, "--targets", "0.3,0.9", *SMALL),
        ("growth", "--loss", name, *SMALL), ("signature", "--loss", name, *SMALL),
        ("sweep", "--loss", name, "--segments", "3:9:2", "--classes", "2:3:1", "--targets", "0.5", "--format", "json"),
    ]


def check(capsys, argv, name):
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    said = [line for line in err.splitlines() if name in line or (argv[0] == "growth" and "no growth law" in line)]
    if status == 0 and (name in out or "".join(argv[:1]) in ("trajectory", "compare") and out):
        return
    # what the entry cannot do: one line naming it, the status says which kind
    assert status in (0, 1) and said, (status, out, err)
    assert all(line.startswith(("attention-dynamics: note: ", "attention-dynamics: not available: ",
                                "attention-dynamics: not resolved: ")) for line in said), err


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_every_command_offers_every_paradigm(capsys, paradigm):
    for argv in paradigm_commands(paradigm):
        if argv[0] == "best-switch" and paradigm == "soft":
            continue  # soft then soft is no switch (refused as bad input, tested in test_cli)
        if argv[:1] == ("trajectory",) and "closed" in argv and paradigm == REGISTERED_PARADIGM:
            continue  # no first integral: a one-line refusal (exit 2), tested in test_registration
        check(capsys, argv, paradigm)


@pytest.mark.parametrize("loss", LOSSES)
def test_every_command_offers_every_loss(capsys, loss):
    for argv in loss_commands(loss):
        check(capsys, argv, loss)
