"""The ``nnedu`` command line: ``python -m nnedu <command> ...`` (or just ``nnedu ...``).

Each command lives in its own module in this package and exposes
``register(subparsers)``, which adds its sub-parser and sets
``func=handler`` (a callable taking the parsed arguments, returning an exit
code). To add a command, add its module to :data:`COMMAND_MODULES`.

Every error ends the same way: one line on stderr (``nnedu COMMAND: error:
...``), a non-zero exit code, no traceback (set ``NNEDU_DEBUG=1`` to see it).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn, Sequence

import nnedu

#: The command modules, one per line; each has ``register(subparsers)``.
COMMAND_MODULES: list[str] = [
    "nnedu.cli.data",
    "nnedu.cli.exercises",
    "nnedu.cli.train",
]


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option prints one line (what is wrong and where to look), not the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command of :data:`COMMAND_MODULES` registered."""
    parser = ArgumentParser(
        prog="nnedu", description="nnedu: neural networks from scratch in NumPy — course tools.")
    parser.add_argument("--version", action="version", version=f"nnedu {nnedu.__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr if args.command is None else sys.stdout)
        return 2
    try:
        return int(func(args) or 0)
    except BrokenPipeError:  # e.g. `nnedu data info | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"nnedu {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # the commands report what they expect; this is the last line of defence
        if os.environ.get("NNEDU_DEBUG"):
            raise
        print(f"nnedu {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 1


def one_line(err: BaseException) -> str:
    """An exception as one line: its first line (``ExceptionType: ...`` if it has no message)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
