"""The ``nnedu`` command line: ``python -m nnedu <command> ...`` (or just ``nnedu ...``).

Each command lives in its own module in this package and exposes
``register(subparsers)``, which adds its sub-parser and sets
``func=handler`` (a callable taking the parsed arguments, returning an exit
code). To add a command, add its module to :data:`COMMAND_MODULES`.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

import nnedu

#: The command modules, one per line; each has ``register(subparsers)``.
COMMAND_MODULES: list[str] = [
    "nnedu.cli.data",
    "nnedu.cli.exercises",
    "nnedu.cli.train",
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command of :data:`COMMAND_MODULES` registered."""
    parser = argparse.ArgumentParser(
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
