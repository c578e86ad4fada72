"""A long-lived prepcli process for the concurrency tests: runs command lines in a loop.

    python worker.py RESULT.json STOP_FILE MAX_RUNS 'ARGV-JSON' ['ARGV-JSON'...]

Runs the command lines in turn through `prepcli.entry.run` (exactly what the `prepcli`
script does, without paying Python's start-up for each one) until MAX_RUNS or until
STOP_FILE exists, and writes each run's exit code and standard error to RESULT.json.
Many runs a second make the processes meet on the database far more often than separate
`prepcli` processes can.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import typer.main

from prepcli import entry
from prepcli.cli import commands

# Typer rebuilds its command tree on every call; build it once, as one process would.
_COMMAND = typer.main.get_command(commands.app)
typer.main.get_command = lambda _app: _COMMAND


def main() -> None:
    result_file, stop_file, max_runs, *commands = sys.argv[1:]
    argvs = [json.loads(c) for c in commands]
    runs = []
    for number in range(int(max_runs)):
        if Path(stop_file).exists():
            break
        argv = argvs[number % len(argvs)]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = entry.run(argv)
            except BaseException as exc:  # a traceback would reach the user: record it
                code = -1
                err.write(f"{type(exc).__name__}: {exc}")
        runs.append({"argv": argv, "code": code, "err": err.getvalue()[-2000:]})
    Path(result_file).write_text(json.dumps(runs), encoding="utf-8")


if __name__ == "__main__":
    main()
