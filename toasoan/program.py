"""The `toasoan` program's entry point, kept apart from the command line so that it loads next to nothing.

`toasoan inspect` and `convert` wait longest for their document worker: a second interpreter that loads
the MIME reader and the .docx converter. Starting it here, before the command line's own modules are
loaded, puts some 20 ms more of the worker's start beside this process's work. Once such a command has
printed its answer, the program ends without tidying its heap (the interpreter's teardown of some 250
modules: 20-40 ms of a 0.3 s command on a slow machine); it has written nothing but its output, which is
flushed first.
"""

from __future__ import annotations

import os
import sys

WITH_A_WORKER = ("inspect", "convert")  # the commands that read a document, and write only their answer


def main() -> int:
    reads = len(sys.argv) > 1 and sys.argv[1] in WITH_A_WORKER
    if reads:
        from intake.sandbox import SANDBOX

        SANDBOX.start()
    from toasoan.cli import main as command_line

    code = command_line()
    if reads:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
