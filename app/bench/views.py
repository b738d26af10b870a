"""A bare route for load tests: the ceiling a page is compared with (bench/load.py).

Registered only when `SULH_BENCH_ROUTES` is set, so it never exists in a normal deployment.
"""

from __future__ import annotations

from flask import Blueprint

from app.web import public

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.get("/hello")
@public
def hello():
    return "hello"


@bp.get("/signed-in")
def signed_in():
    """The same for a signed-in user: what the session, the user's row and the transaction
    around it cost before a page does anything."""
    return "hello"
