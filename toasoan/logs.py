"""Logging: one JSON object a line for the daemon under a service manager, readable lines on a terminal.

Log records carry what happened and the draft's key, never secrets or message bodies: the callers
format only addresses, keys and short reasons. A daemon serving many sites sets ``SITE`` in each site's
task and mailbox thread; every record then says which site it is about (``site`` in JSON, ``[site]`` on
a terminal), without each call passing it.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

SITE: ContextVar[str | None] = ContextVar("site", default=None)


class SiteFilter(logging.Filter):
    """Adds the site of the current task or thread to every record (``record.site``, None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "site"):
            record.site = SITE.get()
        record.where = f" [{record.site}]" if record.site else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            **({"site": record.site} if getattr(record, "site", None) else {}),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", json_lines: bool | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s%(where)s: %(message)s", "%H:%M:%S")
    )
    handler.addFilter(SiteFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "imapclient", "aiosmtplib", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
