"""The ``laws`` command."""

from __future__ import annotations

from .arguments import integer_option, states_option


def add_parser(commands) -> None:
    """The ``laws`` command's options."""
    laws_parser = commands.add_parser("laws", help="conservation laws of a parametrisation phi(theta): Lie rank, count, polynomial laws, certified")
    laws_parser.add_argument("--state", type=states_option, required=True, metavar="NAME[=RATE],...", help="the states, e.g. q,k (rates default to 1)")
    laws_parser.add_argument("--map", required=True, help='comma-separated components of phi, e.g. "q*k" or "u1*w1 + u2*w2"')
    laws_parser.add_argument("--degree", type=integer_option("degree", 1, 8), default=4, help="largest degree of the polynomial laws searched (default 4, at most 8)")
    laws_parser.add_argument("--format", choices=("text", "json"), default="text")
    laws_parser.set_defaults(handler=run)


def run(args) -> int:
    from .state_models import run_laws as laws

    return laws(args)
