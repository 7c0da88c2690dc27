"""The `toasoan` program's entry point, kept apart from the command line so that it loads next to nothing.

`toasoan inspect` waits longest for its document worker: a second interpreter that loads the MIME reader,
ftfy and the .docx converter. Starting it here, before the command line's own modules are loaded, puts
some 20 ms more of the worker's start beside this process's work. Once inspect has printed its answer, the
program ends without tidying its heap (the interpreter's teardown of some 250 modules: 20-40 ms of a
0.3 s command on a slow machine); it has written nothing but its output, which is flushed first.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    inspect = sys.argv[1:2] == ["inspect"]
    if inspect:
        from intake.sandbox import SANDBOX

        SANDBOX.start()
    from toasoan.cli import main as command_line

    code = command_line()
    if inspect:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
