"""The hostile set (tests/hostile_set.py, heavy cases included) through intake, one message per fresh
process: time, and peak resident memory of the whole process tree (the process and its sandbox workers,
VmHWM of each, summed), against the goal of ≤ 10 s and ≤ 300 MB per message.

    python bench/hostile.py [NAME ...]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile_set import hostile_set

CHILD = r"""
import json, logging, os, sys, time
logging.disable(logging.WARNING)
from datetime import UTC, datetime
from intake.analyze import analyze
from intake.sandbox import SANDBOX
from toasoan.cli import preset_settings

def hwm(pid):
    try:
        return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
    except (FileNotFoundError, StopIteration):
        return 0

settings = preset_settings("kep")
raw = open(sys.argv[1], "rb").read()
started = time.monotonic()
result = analyze(raw, settings, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
seconds = time.monotonic() - started
import resource
# workers alive now, and the largest worker killed at a limit (its peak is the children's ru_maxrss)
workers = max(sum(hwm(w.pid) for w in SANDBOX._idle), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "kb": hwm(os.getpid()) + workers, "kind": result.kind,
                  "code": result.code, "warnings": result.warning_codes}))
"""


def main() -> int:
    import json

    only = set(sys.argv[1:])
    failures = 0
    print(f"{'message':28} {'seconds':>8} {'peak MB':>8}  outcome")
    with tempfile.TemporaryDirectory() as work:
        for name, (raw, _expected) in hostile_set(heavy=True).items():
            if only and name not in only:
                continue
            path = Path(work) / f"{name}.eml"
            path.write_bytes(raw)
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True)
            if out.returncode:
                failures += 1
                print(f"{name:28} CRASH {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout)
            over = r["seconds"] > 10 or r["kb"] > 300 * 1024
            failures += over
            outcome = r["code"] or ",".join(r["warnings"][:3])
            print(
                f"{name:28} {r['seconds']:8.2f} {r['kb'] / 1024:8.0f}  {r['kind']} {outcome}"
                + ("  OVER GOAL" if over else "")
            )
    print(f"{failures} message(s) over 10 s / 300 MB or crashed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
