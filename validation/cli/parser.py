"""The command line's parser: one sub-command per module of :mod:`validation.cli`, in the order of ``--help``."""

from __future__ import annotations

import argparse

from validation.program import PROGRAM

from . import best_switch, compare, derive, figures, growth, laws, milestones, paper, reproduce, signature, sweep, trajectory
from .arguments import Parser

#: the sub-commands: each module's ``add_parser(commands)`` adds its options and ``run(args)`` as the handler
COMMANDS = (derive, trajectory, compare, milestones, sweep, best_switch, growth, signature, paper, reproduce, laws, figures)


def build_parser() -> argparse.ArgumentParser:
    """Every command's parser (the registries' names are read here: entry-point plugins load)."""
    parser = Parser(prog=PROGRAM, description="Exact learning dynamics of soft, hard and LVML attention.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser
