"""The examples in the docstrings of analytic/, trajectories/ and validation/ run and print what they show.

Collected by the README's test command (``python3 -m pytest -q -n 2 --dist loadgroup``), one test per module;
built-in derivations come from the disk cache, so the examples that derive are quick.
"""

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("analytic", "trajectories", "validation")


def module_names() -> list[str]:
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for found in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if not found.name.endswith("__main__"):  # running it would start the command line
                names.append(found.name)
    return sorted(names)


MODULES = module_names()


def examples(module) -> list[doctest.DocTest]:
    return [test for test in doctest.DocTestFinder().find(module) if test.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    report = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in examples(module):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_examples_are_found():
    # guards against a finder that silently collects nothing: these modules have examples
    for name in ("analytic", "analytic.derivation", "analytic.display", "trajectories.closed", "trajectories.result"):
        assert examples(importlib.import_module(name)), name
    total = sum(len(t.examples) for name in MODULES for t in examples(importlib.import_module(name)))
    assert total >= 30
