"""``python -m nnedu exercises student|submit|grade``: student copies, hand-in archives, grading a class."""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``exercises`` command (sub-commands ``student``, ``submit``, ``grade``) to the CLI."""
    parser = subparsers.add_parser(
        "exercises", help="exercise tools: student copies, submissions, grading",
        description="Tools for the notebook exercises: make student copies, bundle a student's work, "
                    "grade a class.")
    sub = parser.add_subparsers(dest="exercises_command", metavar="ACTION")
    sub.required = True

    student = sub.add_parser(
        "student", help="copy the notebooks with every solution replaced by a stub",
        description="Copy SRC (a notebook or a folder of notebooks) to OUT, replacing each "
                    "'### BEGIN SOLUTION' ... '### END SOLUTION' block by 'raise NotImplementedError' "
                    "(markdown: 'YOUR ANSWER HERE') and clearing the outputs that show answers. "
                    "Notebooks already in OUT are kept (run it again to add new ones). Refuses, writing "
                    "nothing, if a copy would still show a solution.")
    student.add_argument("src", metavar="SRC", nargs="?", default="notebooks",
                         help="a notebook or a folder of notebooks (default: notebooks)")
    student.add_argument("out", metavar="OUT", nargs="?", default="my-course",
                         help="output folder, created if needed (default: my-course)")
    student.add_argument("--force", action="store_true",
                         help="overwrite notebooks that already exist in OUT (their edits are lost)")
    student.add_argument("--clear", choices=["answers", "all", "none"], default="answers",
                         help="which outputs to clear: those of solution, check and answer cells "
                              "(default), all, or none")
    student.set_defaults(func=_student)

    submit = sub.add_parser(
        "submit", help="bundle your notebooks, workspace and answers into one .zip to hand in",
        description="Bundle the notebooks of FOLDER, its workspace/ folder and the answers to the written "
                    "questions into one .zip. Each notebook must have been run top to bottom "
                    "(Kernel > Restart Kernel and Run All Cells, then save).")
    submit.add_argument("folder", metavar="FOLDER", nargs="?", default="my-course",
                        help="your course folder (default: my-course)")
    submit.add_argument("--out", metavar="FILE.zip", required=True, help="the archive to write")
    submit.add_argument("--force", action="store_true",
                        help="bundle even notebooks that were not run top to bottom (they are marked so)")
    submit.set_defaults(func=_submit)

    grade = sub.add_parser(
        "grade", help="run and grade every submission of a class",
        description="Run every submission in SUBMISSIONS (each a .zip from `submit`, a folder, or a "
                    "single notebook) in a fresh kernel without network, and write a gradebook, "
                    "feedback per student, the written answers per question and Gradescope's "
                    "results.json to DIR.")
    grade.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    grade.add_argument("--out", metavar="DIR", required=True, help="output folder")
    grade.add_argument("--source", metavar="DIR", default="notebooks",
                       help="the instructor notebooks: which exercises and questions each has "
                            "(default: notebooks)")
    grade.add_argument("--timeout", metavar="SECONDS", type=float, default=120.0,
                       help="time limit per notebook (default: 120)")
    grade.add_argument("--full", action="store_true",
                       help="run the notebooks in full mode (default: quick mode, NNEDU_QUICK=1)")
    grade.set_defaults(func=_grade)


def _fail(command: str, message: str) -> int:
    lines = str(message).split("\n")
    print(f"nnedu exercises {command}: error: {lines[0]}", file=sys.stderr)
    for line in lines[1:]:
        print(f"  {line}", file=sys.stderr)
    return 2


def _student(args: argparse.Namespace) -> int:
    from nnedu.exercises.student import StudentCopyError, write_student_copies

    try:
        written = write_student_copies(args.src, args.out, clear=args.clear, force=args.force)
    except StudentCopyError as e:
        n = str(e).count("\n") + 1
        return _fail("student", (f"{n} problem(s), nothing written:\n" if n > 1 else "") + str(e))
    except OSError as e:
        return _fail("student", f"cannot write to {args.out}: {e.strerror or e}")
    print(f"wrote {len(written)} student notebook(s) to {args.out}")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from nnedu.exercises.submit import SubmitError, make_submission

    try:
        make_submission(args.folder, args.out, force=args.force)
    except SubmitError as e:
        return _fail("submit", str(e))
    except OSError as e:
        return _fail("submit", f"cannot write {args.out}: {e.strerror or e}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from nnedu.exercises.grade import GradeError, grade_all

    if not args.timeout > 0 or args.timeout == float("inf"):
        return _fail("grade", f"--timeout must be a positive number of seconds, got {args.timeout}")
    try:
        grade_all(args.submissions, args.out, source=args.source, timeout=args.timeout,
                  quick=not args.full)
    except GradeError as e:
        return _fail("grade", str(e))
    except OSError as e:
        return _fail("grade", f"cannot write to {args.out}: {e.strerror or e}")
    return 0
