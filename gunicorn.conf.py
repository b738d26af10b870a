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
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
