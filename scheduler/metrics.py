"""What a monitoring system reads from a daemon: Prometheus ``/metrics`` and ``/healthz`` on a local port.

Counters count what this process did (messages processed, refusals by code, SMTP / CMS / IMAP errors);
gauges are read at scrape time from the daemon and the database (mailbox state and owner, queue
depths, the oldest due item), so they agree across the daemons that share the database. Errors are
counted from the log records the outbox, publisher and mailbox already write at WARNING and above, each
carrying its site (toasoan.logs.SITE): a failure is counted where it is reported, once.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily

from toasoan.logs import SITE

if TYPE_CHECKING:
    from scheduler.daemon import Daemon

log = logging.getLogger("toasoan.metrics")
COMPONENTS = {"toasoan.outbox": "smtp", "toasoan.publisher": "cms", "toasoan.imap": "imap"}
STATES = ("connecting", "idle", "polling", "error", "stopped")


class _ErrorCounter(logging.Handler):
    def __init__(self, counter: Counter):
        super().__init__(logging.WARNING)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        component = COMPONENTS.get(record.name)
        if component is not None:
            self.counter.labels(getattr(record, "site", None) or SITE.get() or "", component).inc()


class Metrics:
    def __init__(self, daemon: Daemon):
        self.daemon = daemon
        self.registry = CollectorRegistry()
        self.processed = Counter(
            "toasoan_messages_processed",
            "Messages taken from a mailbox and handed to intake",
            ["site"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "toasoan_refusals", "Messages refused, by refusal code", ["site", "code"], registry=self.registry
        )
        self.errors = Counter(
            "toasoan_errors",
            "Errors reported by component (smtp, cms, imap)",
            ["site", "component"],
            registry=self.registry,
        )
        self.registry.register(self)
        self.handler = _ErrorCounter(self.errors)
        logging.getLogger("toasoan").addHandler(self.handler)
        self.server: ThreadingHTTPServer | None = None

    def collect(self):
        """Gauges at scrape time: this daemon's mailboxes, and every site's queues from the database."""
        state = GaugeMetricFamily(
            "toasoan_imap_state", "IMAP connection state of a mailbox this daemon holds", labels=["site", "state"]
        )
        owned = GaugeMetricFamily(
            "toasoan_mailbox_owned", "1 when this daemon holds the site's mailbox", labels=["site"]
        )
        outbox = GaugeMetricFamily("toasoan_outbox_due", "Mails due to be sent", labels=["site"])
        publish = GaugeMetricFamily("toasoan_publish_due", "Posts due to be published or taken down", labels=["site"])
        overdue = GaugeMetricFamily(
            "toasoan_overdue_items", "Drafts past their deadline, not yet published", labels=["site"]
        )
        oldest = GaugeMetricFamily("toasoan_oldest_due_seconds", "Age of the oldest due mail or post", labels=["site"])
        watching = self.daemon.watching()
        for site_id in sorted(self.daemon.works):
            watcher = watching.get(site_id)
            owned.add_metric([site_id], 1 if watcher else 0)
            for name in STATES:
                state.add_metric([site_id, name], 1 if watcher and watcher.state == name else 0)
        try:
            for standing in self.daemon.standings():
                outbox.add_metric([standing.site_id], standing.outbox_due)
                publish.add_metric([standing.site_id], standing.publish_due)
                overdue.add_metric([standing.site_id], standing.overdue)
                oldest.add_metric([standing.site_id], standing.oldest_due_seconds)
        except Exception as exc:  # the database is down: the mailbox gauges still answer
            log.warning("không đọc được hàng đợi cho /metrics: %s", exc)
        yield from (state, owned, outbox, publish, overdue, oldest)

    def serve(self, host: str, port: int) -> int:
        """Starts the HTTP server in a thread; returns its port (``port`` 0: any free one)."""
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    body, status, ctype = generate_latest(metrics.registry), 200, CONTENT_TYPE_LATEST
                elif self.path == "/healthz":
                    health = metrics.daemon.health()
                    body = json.dumps(health, ensure_ascii=False).encode()
                    status, ctype = (200 if health["ok"] else 503), "application/json"
                else:
                    body, status, ctype = b"not found\n", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # scrapes every few seconds: not worth a log line each
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True).start()
        log.info("/metrics và /healthz tại http://%s:%s", host, self.server.server_port)
        return self.server.server_port

    def close(self) -> None:
        logging.getLogger("toasoan").removeHandler(self.handler)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
