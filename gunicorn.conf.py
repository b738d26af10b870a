"""gunicorn settings for production: `make serve` or
`gunicorn -c gunicorn.conf.py 'app:create_app()'`. Web workers are stateless; state lives in
PostgreSQL, the document store and Redis, so workers and hosts can be added freely."""

import multiprocessing
import os

bind = os.environ.get("SULH_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("SULH_THREADS", "4"))
timeout = 60
graceful_timeout = 30
# Recycle workers now and then (bounded memory over weeks of uptime), but rarely: a new worker
# starts with empty page and fragment caches and no prepared statements, and pays ~1 s of
# start-up. At 250 requests/s per worker this is every ~7 minutes.
max_requests = 100_000
max_requests_jitter = 10_000
accesslog = "-"  # its lines go through app/logs.py: tokens in paths, queries, Referer redacted
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# The cyclic garbage collector's full pass walks every container object a worker holds: after
# start-up ≈ 140,000 (SQLAlchemy, Babel, the calendars...), which took 130–380 ms under load,
# a stall of every request in the worker, once or twice a minute — the p99's worst cases.
# Objects that live as long as the worker are frozen out of its reach after start-up, and again
# once the first requests have filled the template, statement and page caches: full passes
# then take 5–40 ms. (Frozen objects are still freed by reference counting; only cycles among
# them would outlive the worker's next recycling.)
REFREEZE_AFTER = (1_000, 10_000)


def _freeze() -> None:
    import gc

    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    _freeze()


def post_request(worker, req, environ, resp):
    if worker.nr in REFREEZE_AFTER:
        _freeze()
