"""The sandbox's worker process: ``main``, started by intake/sandbox.py in a fresh interpreter.

A small entry point of its own, rather than a multiprocessing child, so that a worker never re-imports the
caller's main module (for `toasoan`, the whole command line and its configuration layer) and loads only
the decoders. It answers calls one at a time over a pipe until the pipe closes; it exits when its parent
dies, even in the middle of a parse.

Each call gets a CPU-time ceiling (RLIMIT_CPU, raised before each call by the time already used: the
kernel ends a worker stuck in C code, where no Python signal handler would run) and an output ceiling;
the address space is capped once (RLIMIT_AS). An answer is ("ok", value) or ("fail", code, reason):
plain data, never an exception object.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import select
import signal
import struct
import sys
import threading
import time

HEADER = struct.Struct("!Q")  # the length of each pickled message
# Loaded while the caller starts: what every message (intake.message and what its reading loads, see
# load_reader) and a .docx need. The rest of ftfy is loaded by text that fails its test for mojibake, pypdf
# (0.1-0.3 s) by the first PDF, Pillow while the worker is idle (below), so that `toasoan inspect` waits
# for none of them before its first call.
PRELOAD = ("intake.message", "intake.docx_safe")
# Whether another CPU can run the caller while this worker works or waits awake: with one, a worker neither
# loads ahead (the time would be taken from the caller) nor waits awake (see SPIN_SECONDS).
SEVERAL_CPUS = len(os.sched_getaffinity(0)) > 1
# Loaded while the worker waits for its first call, a module at a time and never once that call has come:
# Pillow, which intake/media.clean_image loads (the last names below), in steps of a few milliseconds (the
# names before them, which it would load itself). A department's news item usually carries photos, and
# loading Pillow took a third of the time `toasoan inspect` spent on the first one, while the worker had sat
# idle as the command line loaded. A name this Pillow does not have, or any failure to load, is skipped:
# loading ahead is only a saving.
WHILE_IDLE = (
    (
        *("PIL.ExifTags", "PIL.ImageMode", "PIL.TiffTags", "PIL._imaging", "PIL.Image", "PIL.ImagePalette"),
        *("PIL.ImageOps", "PIL.ImageFile", "PIL.GifImagePlugin", "fractions", "PIL.TiffImagePlugin"),
        "PIL.WebPImagePlugin",
    )
    if SEVERAL_CPUS
    else ()
)
# A caller that was already waiting for "ready" sends its first call within a millisecond of it.
CALLER_REPLIES_SECONDS = 0.003
# Waking a process that sleeps on another CPU takes 20-50 µs on a virtual machine (the host must run the
# idle vCPU again), as long as reading a short message; both sides therefore wait awake for up to a
# millisecond (the time between one message's calls) before sleeping. A machine with one CPU never does:
# the waiter would take the CPU from the process it waits for.
SPIN_SECONDS = 0.001 if SEVERAL_CPUS else 0.0


def await_readable(fd: int, seconds: float = SPIN_SECONDS) -> bool:
    """Whether ``fd`` has something to read within ``seconds``, asked without sleeping (``select`` with no
    timeout, which releases the GIL on each call)."""
    end = time.perf_counter() + seconds
    while True:
        if select.select([fd], [], [], 0)[0]:
            return True
        if time.perf_counter() >= end:
            return False


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


def _failure(exc: BaseException) -> tuple[str, str, str]:
    """A decoder's exception as data: its own code when it has one (ValueError means unreadable input)."""
    if isinstance(exc, MemoryError):
        return ("fail", "memory", "hết bộ nhớ")
    if isinstance(exc, RecursionError):
        return ("fail", "unreadable", "cấu trúc lồng nhau quá sâu")
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return ("fail", code, str(exc)[:500])
    if isinstance(exc, ValueError):
        return ("fail", "unreadable", str(exc)[:500])
    return ("fail", "crash", f"{type(exc).__name__}: {exc}"[:500])


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    try:
        _serve()
    except BrokenPipeError:  # the caller has gone (inspect refused its arguments before we were ready):
        os._exit(0)  # no one to answer, and nothing to say on the terminal we share with it


def _serve() -> None:
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the caller, which ends us
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not corrupt the answers
    sys.path[:], limit = read_message(requests)  # the caller's import path (tests, checkouts), and the ceiling
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import logging  # here, not at the top: the caller imports this module to start us, before it needs logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its complaints about broken files are ours to report
    for module in PRELOAD:
        __import__(module)
    sys.modules["intake.message"].load_reader()
    write_message(answers, ("ok", "ready"))  # loading is not counted against the first document's time
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    wait = CALLER_REPLIES_SECONDS
    for module in WHILE_IDLE:
        if select.select([requests.fileno()], [], [], wait)[0]:
            break
        wait = 0
        with contextlib.suppress(Exception):
            __import__(module)
    while True:
        await_readable(requests.fileno())
        try:
            function, args, cpu_seconds, output_bytes = read_message(requests)
        except EOFError:  # the caller is done: nothing of ours to flush, and a caller that reads our
            os._exit(0)  # inherited stderr to its end waits for us, so no tidying of the heap at exit
        soft = int(_cpu_used()) + 1 + cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
        try:
            answer = ("ok", function(*args))
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # every failure goes back to the caller as data, which decides
            answer, data = _failure(exc), b""
        if answer[0] == "ok" and len(data) > output_bytes:
            answer = ("fail", "output", f"kết quả quá lớn ({len(data) // 1048576} MB)")
        if answer[0] == "ok":
            answers.write(HEADER.pack(len(data)))
            answers.write(data)
            answers.flush()
        else:
            write_message(answers, answer)
        del data
        if answer[0] == "fail" and answer[1] in ("memory", "output"):
            return  # the heap may be fragmented past use; the next call gets a fresh worker
