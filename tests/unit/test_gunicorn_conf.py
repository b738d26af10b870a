"""gunicorn.conf.py: several workers, and the garbage-collector freeze of its hooks (the
objects a worker holds for its lifetime are kept out of full collections)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_serves_with_several_threaded_workers(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings = runpy.run_path(str(CONF))
    assert settings["workers"] >= 2 and settings["worker_class"] == "gthread"
    assert settings["max_requests"] >= 10_000  # a recycled worker starts with empty caches


def test_hooks_freeze_what_the_worker_holds():
    settings = runpy.run_path(str(CONF))
    try:
        gc.unfreeze()
        settings["post_worker_init"](SimpleNamespace(nr=0))
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        kept = [object() for _ in range(10)] + [[i] for i in range(500)]  # new long-lived objects
        settings["post_request"](SimpleNamespace(nr=999), None, None, None)
        # only at the set request counts (the count may drop: frozen objects are still freed,
        # by this thread or by another one the suite left running)
        assert gc.get_freeze_count() <= frozen
        before = gc.get_freeze_count()
        settings["post_request"](SimpleNamespace(nr=settings["REFREEZE_AFTER"][0]), None, None,
                                 None)
        assert gc.get_freeze_count() >= before + 400  # the 510 new ones, give or take
        assert kept
    finally:
        gc.unfreeze()
