"""Shared helpers for the test servers: free ports, waiting for a port, and skip-or-fail when missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REQUIRED = os.environ.get("REQUIRE_REAL_SERVERS") == "1"


def missing(what: str, how: str) -> None:
    """Skip, or fail under REQUIRE_REAL_SERVERS=1 (CI), when a server cannot be started here."""
    message = f"{what} is not available: {how}"
    if REQUIRED:
        pytest.fail(message + " (REQUIRE_REAL_SERVERS=1)")
    pytest.skip(message)


def need_binary(name: str, package: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if not path:
        missing(name, f"apt-get install -y {package}  (or run scripts/test, which installs it)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (openssl), for STARTTLS and implicit TLS."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not cert.exists():
        need_binary("openssl", "openssl")
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
    return cert, key
