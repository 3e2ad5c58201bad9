"""The ``attention-dynamics`` command line (also ``python -m validation``).

Every problem with the input is reported as one line on stderr naming the
argument and the value, with exit status 2 and no traceback.

Start-up: building the parser, ``--help`` and argument errors import SymPy and
the light modules of :mod:`analytic` only (symbols, losses, parsing, cache).
The derivation engine, and NumPy, SciPy and matplotlib (through
:mod:`trajectories` and the report modules), are imported inside the handlers,
after the command line's own checks; keep imports of them out of module level
and out of the argument types (tests/test_startup.py checks this).

One module per command (``derive``, ``trajectory``, ... : its options and its handler); the
shared pieces are :mod:`.arguments` (argument types and shared options), :mod:`.model_options`
(options to the typed setting), :mod:`.status` (exit statuses), :mod:`.stdout` and :mod:`.reporting`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from analytic import cache
from analytic.budget import OutOfTime
from analytic.errors import BadInput, NotAvailable, NotResolved
from trajectories.limits import MAX_POINTS, MAX_STEPS  # the Python API's limits too (a module free of NumPy)
from validation.program import PROGRAM, interrupted

from .arguments import DEFAULT_TARGETS, LATEX_MIN_WIDTH, LATEX_PIECES, LATEX_WIDTH, joined_values
from .parser import build_parser
from .status import NOT_AVAILABLE, STDOUT_FAILED, USAGE_ERROR, UsageError
from .stdout import CheckedStdout, StdoutFailed, discard_stdout, stdout_problem

__all__ = ["DEFAULT_TARGETS", "LATEX_MIN_WIDTH", "LATEX_PIECES", "LATEX_WIDTH", "MAX_POINTS", "MAX_STEPS", "STDOUT_FAILED",
           "build_parser", "joined_values", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from analytic.plugins import PluginError

    try:
        parser = build_parser()  # the registries' choices: entry-point plugins are loaded here
    except PluginError as error:  # an installed package's plugin: one line naming it, not a traceback of ours
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    problem = stdout_problem()
    if problem is not None:
        print(f"{PROGRAM}: error: {problem}: the output would be lost (redirect it, e.g. > out.txt)", file=sys.stderr)
        return STDOUT_FAILED
    stream = sys.stdout
    sys.stdout = CheckedStdout(stream)
    try:
        args = parser.parse_args(joined_values(sys.argv[1:] if argv is None else argv))
        cache.set_enabled(not getattr(args, "no_cache", False))
        cache.set_reporter(lambda text: print(f"{PROGRAM}: note: {text}", file=sys.stderr))
        status = args.handler(args)
        sys.stdout.flush()  # a full disk shows here, while the status can still say so
        return status
    except StdoutFailed as error:
        discard_stdout(stream)
        print(f"{PROGRAM}: error: could not write the output to stdout: {error}", file=sys.stderr)
        return STDOUT_FAILED
    except UsageError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OutOfTime as error:  # a result not available
        print(f"{PROGRAM}: not computed: {error}", file=sys.stderr)
        return NOT_AVAILABLE
    except (NotAvailable, NotResolved) as error:  # the input is fine; the result is not given here
        print(f"{PROGRAM}: {'not resolved' if isinstance(error, NotResolved) else 'not available'}: {error}", file=sys.stderr)
        return NOT_AVAILABLE
    except BadInput as error:  # the library's refusal of an input (any other exception is a bug: its traceback shows)
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:  # Ctrl-C: temporary files are removed by the writers' own cleanup
        return interrupted()
    finally:
        sys.stdout = stream


if __name__ == "__main__":
    sys.exit(main())
