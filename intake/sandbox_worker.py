"""The sandbox's worker process: `python -m intake.sandbox_worker`, started by intake/sandbox.py.

A small entry point of its own, rather than a multiprocessing child, so that a worker never re-imports the
caller's main module (for `toasoan`, the whole command line and its configuration layer) and loads only
the converters. It answers calls one at a time over a pipe until the pipe closes; it exits when its parent
dies, even in the middle of a parse.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import signal
import struct
import sys
import threading
import time

HEADER = struct.Struct("!Q")  # the length of each pickled message
PRELOAD = ("intake.docx_html", "docx", "pypdf")  # what documents need, loaded once while the caller works


def read_message(stream) -> object:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    size = HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def write_message(stream, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _watch_parent(parent: int) -> None:
    """A worker whose daemon was killed (kill -9, OOM killer) must not live on with a document in memory."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main() -> None:
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the caller, which ends us
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not corrupt the answers
    sys.path[:], limit = read_message(requests)  # the caller's import path (tests, checkouts), and the ceiling
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its complaints about broken files are ours to report
    for module in PRELOAD:
        __import__(module)
    while True:
        try:
            function, args = read_message(requests)
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # every failure (MemoryError too) goes back to the caller, who decides
            answer = (False, exc)
        try:
            write_message(answers, answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            write_message(answers, (False, RuntimeError(f"kết quả không chuyển được: {exc}")))
        if not answer[0] and isinstance(answer[1], MemoryError):
            return  # the heap may be fragmented past use; the next call gets a fresh worker


if __name__ == "__main__":
    main()
