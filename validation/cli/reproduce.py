"""The ``reproduce`` command."""

from __future__ import annotations

import sys
import time

from .arguments import grid_option


def add_parser(commands) -> None:
    """The ``reproduce`` command's options."""
    reproduce_parser = commands.add_parser("reproduce", help="the main job: everything, on the presets paper and small")
    reproduce_parser.add_argument("--out", default="attention-dynamics-output", help="output directory (default ./attention-dynamics-output)")
    reproduce_parser.add_argument("--force", action="store_true", help="write into an existing directory that is not ours")
    reproduce_parser.add_argument("--sweep-axis", type=grid_option("sweep-axis"), default=None, metavar="START:STOP:N|LIST",
                                  help="the values of T and of c the sweep covers (default 2:10000:24, log-spaced; the paper preset's are added)")
    reproduce_parser.set_defaults(handler=run)


def run(args) -> int:
    from validation.reproduce import reproduce, summary_table

    stages = ["derivations", "cross-checks, milestones, growth laws, sweep, snippets and figures", "sweep report", "paper"]  # reproduce's steps
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(stages), desc="reproduce", leave=False)

    started = time.monotonic()

    def step(name):
        if bar is not None:
            bar.set_description(name)
            bar.update(0 if name == stages[0] else 1)
        else:  # not a terminal (piped, CI): one line per stage
            print(f"reproduce: {name} (after {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    summary = reproduce(args.out, force=args.force, step=step, sweep_axis=args.sweep_axis)
    if bar is not None:
        bar.close()
    print(summary_table(summary))
    print(f"written to {args.out}/ (summary.json, paper/paper.tex, paper/figures/)")
    return 0
