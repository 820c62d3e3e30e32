"""``python -m nnedu exercises student SRC OUT``: write student copies of the notebooks."""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``exercises`` command (with its ``student`` sub-command) to the CLI."""
    parser = subparsers.add_parser(
        "exercises", help="exercise tools: write student copies of the notebooks",
        description="Tools for the notebook exercises.")
    sub = parser.add_subparsers(dest="exercises_command", metavar="ACTION")
    sub.required = True
    student = sub.add_parser(
        "student", help="copy notebooks with every solution replaced by `raise NotImplementedError`",
        description="Copy SRC (a notebook or a directory of notebooks) to OUT, replacing each "
                    "'### BEGIN SOLUTION' ... '### END SOLUTION' block by 'raise NotImplementedError' "
                    "(markdown: 'YOUR ANSWER HERE') and clearing the outputs that show answers.")
    student.add_argument("src", metavar="SRC", help="a notebook or a directory of notebooks")
    student.add_argument("out", metavar="OUT", help="output directory (created if needed)")
    student.add_argument("--clear", choices=["answers", "all", "none"], default="answers",
                         help="which outputs to clear: those of solution and check cells (default), "
                              "all, or none")
    student.set_defaults(func=_student)


def _student(args: argparse.Namespace) -> int:
    from nnedu.exercises.student import write_student_copies

    try:
        written = write_student_copies(args.src, args.out, clear=args.clear)
    except (FileNotFoundError, ValueError) as e:
        print(f"nnedu exercises student: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} student notebook(s) to {args.out}")
    return 0
