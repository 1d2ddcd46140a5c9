"""gunicorn settings. The access log never records client addresses or query strings."""

import gc
import multiprocessing
import os
import threading
import time

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
# No %(h)s (address), no %(q)s (query string), no user agent or referrer.
access_log_format = '- "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Load the classifier before this worker takes requests.

    Loaded lazily, it is loaded by the first answer in each worker (seconds, more on a busy
    machine) inside that answer's write transaction, so every other submit waits on the SQLite
    write lock meanwhile (bench/submit.py: p99 8.9 s). The heartbeat is kept fresh while it
    loads, so a slow load is not mistaken for a hung worker (timeout above).
    """
    app = getattr(worker, "wsgi", None)
    holder = getattr(app, "extensions", {}).get("viktigt.classifier")
    if holder is None or not app.config.get("CLASSIFY_ON_SUBMIT"):
        _freeze_long_lived_objects()
        return

    def load() -> None:
        try:
            holder.get()
        except Exception:  # noqa: BLE001 - the worker still serves; it retries on first use
            worker.log.exception("Could not load the classifier at start; it loads on first use")

    loader = threading.Thread(target=load, name="classifier-preload", daemon=True)
    loader.start()
    deadline = time.monotonic() + 120
    while loader.is_alive() and time.monotonic() < deadline:
        worker.notify()
        loader.join(1.0)
    _freeze_long_lived_objects()


def _freeze_long_lived_objects() -> None:
    """Move the app, its templates and the classifier out of the cyclic garbage collector's
    reach: they live as long as the worker, and a full collection walking them paused a summary
    page by tens of milliseconds (bench/summary.py --gc-freeze)."""
    gc.collect()
    gc.freeze()
