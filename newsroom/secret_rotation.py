"""Rotating the reply-key secret without breaking replies in flight (Kép Đ7.3, Đắk Mar Đ10.2, Hiệp Hòa
Đ12.4: a password that leaks is changed).

Every notification carries a key signed with the site's secret; a board member may answer days later. A
rotation writes a new secret into the secret file and keeps the previous one beside it
(``<file>.previous``, one JSON object a line: the secret and the moment it stops being accepted), so keys
signed before the rotation stay valid for the grace period and new mail is signed with the new secret.
After a leak, rotate with ``--grace-days 0``: the leaked secret stops at once (replies to older mail are
then found through the quoted thread, which the intake ties to the draft's newest revision).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from newsroom.settings import ConfigError, Secret


def previous_file(secret: Secret) -> Path | None:
    return secret.file.with_name(secret.file.name + ".previous") if secret.file else None


def _write(path: Path, text: str) -> None:
    """Atomically, readable by the owner alone."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    tmp.replace(path)


def previous(secret: Secret, at: datetime) -> list[str]:
    """The earlier secrets still accepted at ``at``."""
    path = previous_file(secret)
    if path is None or not path.exists():
        return []
    accepted = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if datetime.fromisoformat(row["valid_until"]) > at:
                accepted.append(row["secret"])
    return accepted


def valid_secrets(secret: Secret, at: datetime) -> list[str]:
    """The secret new keys are signed with, then those still accepted for keys signed before a rotation."""
    return [secret.resolve(), *previous(secret, at)]


def rotate(secret: Secret, now: datetime, grace: timedelta) -> datetime:
    """A new secret in the file; the old one accepted until ``now + grace`` (returned). Secrets that expired
    are dropped from the ``.previous`` file."""
    if secret.file is None:
        raise ConfigError(
            f"{secret.key}: bí mật đọc từ biến môi trường {secret.env}; chỉ xoay vòng được khi dùng {secret.key}_file"
        )
    old = secret.resolve()
    until = now + grace
    path = previous_file(secret)
    kept = [
        line
        for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
        if line.strip() and datetime.fromisoformat(json.loads(line)["valid_until"]) > now
    ]
    if grace > timedelta(0):
        kept.append(json.dumps({"secret": old, "valid_until": until.isoformat()}))
    _write(path, "".join(line + "\n" for line in kept))
    _write(secret.file, secrets.token_hex(32) + "\n")
    return until
