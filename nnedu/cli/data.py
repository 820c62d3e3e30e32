"""``nnedu data``: which data sets are available and where; download and verify them.

    python -m nnedu data info
    python -m nnedu data download [mnist|fashion-mnist]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nnedu.data.checksums import DATASETS, DataIntegrityError, get_dataset
from nnedu.cli.train import positive_float
from nnedu.data.download import DEADLINE, DownloadError, download, find_file, is_official_download
from nnedu.data.idx import IDXFormatError
from nnedu.data.mnist import load_file
from nnedu.data.paths import ENV_VAR, data_dir, repository_data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` command and its ``info`` and ``download`` sub-commands."""
    parser = subparsers.add_parser("data", help="show, download and verify the data sets",
                                   description="Show, download and verify MNIST and Fashion-MNIST.")
    parser.set_defaults(func=lambda args: _help(parser))
    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION")

    info = actions.add_parser("info", help="which data sets are available, where, and whether they verify")
    info.add_argument("--data-dir", type=Path, default=None,
                      help=f"cache folder (default: ${ENV_VAR}, else the repository's data/, else a user cache)")
    info.set_defaults(func=info_command)

    fetch = actions.add_parser("download", help="download and verify the full data sets")
    fetch.add_argument("names", nargs="*", type=_dataset_name, metavar="NAME",
                       help=f"data sets to fetch: {', '.join(sorted(DATASETS))} (default: all)")
    fetch.add_argument("--data-dir", type=Path, default=None, help="cache folder to download into")
    fetch.add_argument("--mirror", action="append", default=None, metavar="URL",
                       help="base URL to try instead of the built-in mirrors (repeatable)")
    fetch.add_argument("--force", action="store_true", help="download even files that are present and valid")
    fetch.add_argument("--timeout", type=positive_float, default=30.0,
                       help="seconds to wait for a connection or for the next bytes (default 30)")
    fetch.add_argument("--deadline", type=positive_float, default=DEADLINE,
                       help=f"seconds allowed for each file from each mirror (default {DEADLINE:g})")
    fetch.add_argument("--no-progress", action="store_true", help="no progress bars")
    fetch.set_defaults(func=download_command)


def _dataset_name(name: str) -> str:
    if name not in DATASETS:
        raise argparse.ArgumentTypeError(f"unknown data set {name!r} (choose from {', '.join(sorted(DATASETS))})")
    return name


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _origin(root: Path | None) -> str:
    if root is not None:
        return "--data-dir"
    if os.environ.get(ENV_VAR, "").strip():
        return f"${ENV_VAR}"
    if repository_data_dir() is not None:
        return "the repository's data/ folder"
    return "the per-user cache folder"


def info_command(args: argparse.Namespace) -> int:
    """Print each data set's files, where they are and whether they verify; 1 if any is corrupt."""
    root = args.data_dir
    print(f"Cache folder: {root if root is not None else data_dir()}  (from {_origin(root)})")
    corrupt, missing = 0, []
    for dataset in DATASETS.values():
        print(f"\n{dataset.name}: {dataset.title}; license {dataset.license}")
        for datafile in dataset.files:
            path = find_file(dataset, datafile, root)
            label = f"  {datafile.split:5s} {datafile.kind:6s} {datafile.count:>6,d}"
            if path is None:
                print(f"{label}  missing   {datafile.filename}")
                if dataset.name not in missing:
                    missing.append(dataset.name)
                continue
            try:
                load_file(dataset.name, datafile.split, datafile.kind, root, download=False, copy=False)
            except (IDXFormatError, DataIntegrityError) as exc:
                corrupt += 1
                print(f"{label}  CORRUPT   {path}\n      {str(exc).splitlines()[0]}")
                continue
            wrapper = "official .gz" if is_official_download(path, datafile) else "payload verified"
            print(f"{label}  ok        {path}  (SHA-256 {wrapper})")
    if missing:
        print(f"\nTo fetch what is missing: python -m nnedu data download {' '.join(missing)}")
    if corrupt:
        print(f"\n{corrupt} file(s) failed verification: delete them and run "
              f"`python -m nnedu data download --force`.", file=sys.stderr)
    return 1 if corrupt else 0


def download_command(args: argparse.Namespace) -> int:
    """Download and verify the named data sets (all by default); 1 on failure."""
    names = args.names or sorted(DATASETS)
    status = 0
    for name in names:
        dataset = get_dataset(name)
        try:
            paths = download(name, args.data_dir, mirrors=args.mirror, force=args.force,
                             progress=not args.no_progress, timeout=args.timeout, deadline=args.deadline)
        except DownloadError as exc:
            for reason in exc.reasons:  # one line per file and mirror that failed
                print(f"nnedu data download: error: {name}: {reason}", file=sys.stderr)
            status = 1
            continue
        print(f"{name}: {dataset.title}: all {len(paths)} files verified in {paths[0].parent}")
    return status
