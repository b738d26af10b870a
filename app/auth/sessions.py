"""Server-side sessions: who is signed in is a record on the server, named by a cookie.

Flask's own cookie is signed but readable, and good until it expires: a copy saved before
signing out still opened the dashboard afterwards, and nothing could end a session elsewhere.
Here the browser holds a random 256-bit token in a cookie of its own (SIGN_IN_COOKIE_NAME;
`__Host-`, Secure, HttpOnly, SameSite=Lax in production) and the server keeps the token's
SHA-256 with the user, when the session began, was last seen and must end, the address and the
browser. Ending a session deletes the record, wherever its cookie is (ASVS 7.4.1-7.4.3):

- signing out deletes it: a replayed cookie names nothing and gets the sign-in page;
- `end_other_sessions(user, keep=...)` ends every other session of the user in the request
  that calls it: "sign out everywhere else" on the account page, and (to come) a password
  change or reset, a second-factor reset, a deactivation;
- the idle timeout and the absolute lifetime are checked on every request against the
  stored times (ASVS 7.3.1, 7.3.2), never left to the browser;
- sign-in and every change of privilege issue a new token (`start`, `renew`): a token planted
  or seen before never becomes a signed-in one (ASVS 7.2.4).

Flask-Login still provides `current_user`: its request loader (`load_user`) reads the cookie.
Flask's cookie keeps only what is no secret (the language, the CSRF token, flashed messages).

Two stores, one interface (`SessionStore`), chosen by SESSION_STORE: the database (a
`user_sessions` row; the check and the user's row are one statement) or Redis (a hash per
session with a TTL, and a set per user to find them all). A store's writes are part of the
request's transaction on the database and immediate on Redis; either way nothing is ended
late. "Last seen" is written at most every SESSION_TOUCH_SECONDS, so a signed-in request costs
a lookup, not a write.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

from flask import Flask, Request, Response, current_app, g, has_request_context, request, session
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Row

from app.auth import security_log
from app.extensions import db, login_manager
from app.models import User, UserSession
from app.models.types import utcnow
from app.request_info import client_ip
from app.services import connections

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class SessionRecord:
    """What the server knows of one session. `id` is the SHA-256 of the browser's token."""

    id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str = ""
    user_agent: str = ""

    @property
    def handle(self) -> str:
        """How pages and the security log name the session: a prefix of its hash, which can
        tell sessions apart but cannot be turned back into a cookie."""
        return self.id[:16]

    def ends_at(self, idle: timedelta) -> datetime:
        return min(self.expires_at, self.last_seen_at + idle)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"])


# --------------------------------------------------------------------------------- stores
class SessionStore(Protocol):
    """Where sessions live. `add`, `delete` and `delete_of_user` join the caller's database
    transaction (the database store) or act at once (Redis); `touch` and `expire` are the
    request loader's own and take effect at once in both."""

    def add(self, record: SessionRecord) -> None: ...
    def load(self, session_id: str) -> tuple[SessionRecord, User] | None: ...
    def touch(self, session_id: str, at: datetime) -> None: ...
    def expire(self, session_id: str) -> None: ...
    def delete(self, session_id: str) -> None: ...
    def of_user(self, user_id: int) -> list[SessionRecord]: ...
    def delete_of_user(self, user_id: int, keep: str | None) -> list[str]: ...
    def purge(self, now: datetime) -> None: ...


def _record(row: Any, session_id: str | None = None) -> SessionRecord:
    return SessionRecord(id=session_id or row.id, user_id=row.user_id,
                         created_at=row.created_at, last_seen_at=row.last_seen_at,
                         expires_at=row.expires_at, ip=row.ip or "",
                         user_agent=row.user_agent or "")


@cache
def _session_with_user() -> Any:
    """Built once: every signed-in request runs it (one statement for the session and the
    user, as loading the user alone cost before)."""
    return (select(User, UserSession.user_id, UserSession.created_at,
                   UserSession.last_seen_at, UserSession.expires_at, UserSession.ip,
                   UserSession.user_agent)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.id == bindparam("id")))


@cache
def _user_by_id() -> Any:
    return select(User).where(User.id == bindparam("id"))


class DatabaseStore:
    """Sessions as `user_sessions` rows."""

    def add(self, record: SessionRecord) -> None:
        db.session.add(UserSession(
            id=record.id, user_id=record.user_id, created_at=record.created_at,
            last_seen_at=record.last_seen_at, expires_at=record.expires_at, ip=record.ip,
            user_agent=record.user_agent))
        db.session.flush()

    def load(self, session_id: str) -> tuple[SessionRecord, User] | None:
        row: Row[Any] | None = db.session.execute(_session_with_user(),
                                                  {"id": session_id}).first()
        if row is None:
            return None
        return _record(row, session_id), row[0]

    def touch(self, session_id: str, at: datetime) -> None:
        _write_alone(update(UserSession).where(UserSession.id == session_id)
                     .values(last_seen_at=at))

    def expire(self, session_id: str) -> None:
        _write_alone(delete(UserSession).where(UserSession.id == session_id))

    def delete(self, session_id: str) -> None:
        db.session.execute(delete(UserSession).where(UserSession.id == session_id))

    def of_user(self, user_id: int) -> list[SessionRecord]:
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id))
        return [_record(row) for row in rows]

    def delete_of_user(self, user_id: int, keep: str | None) -> list[str]:
        condition = UserSession.user_id == user_id
        if keep is not None:
            condition = condition & (UserSession.id != keep)
        ended = list(db.session.scalars(select(UserSession.id).where(condition)))
        if ended:
            db.session.execute(delete(UserSession).where(UserSession.id.in_(ended)))
        return ended

    PURGE_BATCH = 100

    def purge(self, now: datetime) -> None:
        """Sessions past their absolute end, everyone's, a batch at each sign-in (an index on
        expires_at): the table holds about a lifetime's worth of sessions. Rows another
        sign-in is purging at the same moment are skipped (PostgreSQL's SKIP LOCKED), so two
        sign-ins never wait for, or deadlock on, each other's purge."""
        ended = list(db.session.scalars(
            select(UserSession.id).where(UserSession.expires_at < now)
            .limit(self.PURGE_BATCH).with_for_update(skip_locked=True)))
        if ended:
            db.session.execute(delete(UserSession).where(UserSession.id.in_(ended)))


def _write_alone(statement: Any) -> None:
    """The loader's own write (a session seen, or found ended), committed at once: a page
    that only reads commits nothing. The loader runs before a view changes anything; should
    anything else be pending, the write waits for another request rather than commit it."""
    session = db.session()
    if connections.wrote(session) or g.get("submission") is not None:
        return
    try:
        session.execute(statement)
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()  # the signed-in user stays loaded
        finally:
            session.expire_on_commit = expire
    except Exception:
        session.rollback()
        log.warning("could not record a session's last use", exc_info=True)


class RedisStore:
    """Sessions as Redis hashes `<prefix><id>` expiring with the session, and a set
    `<prefix>user:<id>` of each user's session ids. Times are stored as POSIX seconds."""

    # Set "last seen" only if the session still exists (HSET would recreate a deleted one).
    _TOUCH = """
    if redis.call('EXISTS', KEYS[1]) == 1 then
      redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[1])
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return 1
    end
    return 0
    """

    def __init__(self, url: str, prefix: str) -> None:
        from redis import Redis

        self.redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2,
                                    decode_responses=True)
        self.prefix = prefix
        self._touch = self.redis.register_script(self._TOUCH)

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}{session_id}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}user:{user_id}"

    def _ttl(self, record: SessionRecord, now: datetime) -> int:
        """Seconds until the record is of no use; relative, so the store's clock and ours
        need not agree."""
        return max(1, int((record.ends_at(idle_timeout()) - now).total_seconds()) + 1)

    def add(self, record: SessionRecord) -> None:
        key, user_key = self._key(record.id), self._user_key(record.user_id)
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={
            "user_id": record.user_id, "created_at": record.created_at.timestamp(),
            "last_seen_at": record.last_seen_at.timestamp(),
            "expires_at": record.expires_at.timestamp(), "ip": record.ip,
            "user_agent": record.user_agent})
        pipe.expire(key, self._ttl(record, record.last_seen_at))
        pipe.sadd(user_key, record.id)
        # Every session has the same lifetime: the newest one outlives the others.
        pipe.expire(user_key, max(1, int((record.expires_at - record.last_seen_at)
                                         .total_seconds()) + 1))
        pipe.execute()

    def _read(self, session_id: str, data: Any) -> SessionRecord | None:
        """The record of a hash as HGETALL returns it (strings: decode_responses)."""
        if not data:
            return None
        try:
            return SessionRecord(
                id=session_id, user_id=int(data["user_id"]),
                created_at=_from_seconds(data["created_at"]),
                last_seen_at=_from_seconds(data["last_seen_at"]),
                expires_at=_from_seconds(data["expires_at"]), ip=data.get("ip", ""),
                user_agent=data.get("user_agent", ""))
        except (KeyError, ValueError):
            return None  # not one of ours: treated as no session

    def load(self, session_id: str) -> tuple[SessionRecord, User] | None:
        record = self._read(session_id, self.redis.hgetall(self._key(session_id)))
        if record is None:
            return None
        user = db.session.scalar(_user_by_id(), {"id": record.user_id})
        return (record, user) if user is not None else None

    def touch(self, session_id: str, at: datetime) -> None:
        data = self.redis.hgetall(self._key(session_id))
        record = self._read(session_id, data)
        if record is not None:
            self._touch(keys=[self._key(session_id)],
                        args=[at.timestamp(), self._ttl(replace(record, last_seen_at=at), at)])

    def expire(self, session_id: str) -> None:
        self.delete(session_id)

    def delete(self, session_id: str) -> None:
        key = self._key(session_id)
        user_id = self.redis.hget(key, "user_id")
        pipe = self.redis.pipeline()
        pipe.delete(key)
        if user_id is not None:
            pipe.srem(self._user_key(int(user_id)), session_id)
        pipe.execute()

    def _ids_of(self, user_id: int) -> list[str]:
        return sorted(str(i) for i in self.redis.smembers(self._user_key(user_id)))

    def of_user(self, user_id: int) -> list[SessionRecord]:
        ids = self._ids_of(user_id)
        if not ids:
            return []
        pipe = self.redis.pipeline()
        for session_id in ids:
            pipe.hgetall(self._key(session_id))
        found: list[SessionRecord] = []
        gone: list[str] = []
        for session_id, data in zip(ids, pipe.execute(), strict=True):
            record = self._read(session_id, data)
            if record is None:
                gone.append(session_id)  # expired: its key is gone, its id left in the set
            else:
                found.append(record)
        if gone:
            self.redis.srem(self._user_key(user_id), *gone)
        return found

    def delete_of_user(self, user_id: int, keep: str | None) -> list[str]:
        ids = [i for i in self._ids_of(user_id) if i != keep]
        if ids:
            pipe = self.redis.pipeline()
            pipe.delete(*(self._key(i) for i in ids))
            pipe.srem(self._user_key(user_id), *ids)
            pipe.execute()
        return ids

    def purge(self, now: datetime) -> None:
        """Nothing to do: every key expires with its session."""


def _from_seconds(value: str) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def store() -> SessionStore:
    """This app's store (SESSION_STORE), built once."""
    found: SessionStore | None = current_app.extensions.get("sulh_session_store")
    if found is None:
        config = current_app.config
        if config["SESSION_STORE"] == "redis":
            found = RedisStore(config["SESSION_REDIS_URL"] or config["REDIS_URL"],
                               config["SESSION_REDIS_PREFIX"])
        else:
            found = DatabaseStore()
        current_app.extensions["sulh_session_store"] = found
    return found


# ------------------------------------------------------------------------ the operations
def create(user: User, *, ip: str = "", user_agent: str = "",
           now: datetime | None = None) -> tuple[str, SessionRecord]:
    """A new session for `user`: the token for the browser's cookie (returned once, never
    stored) and its record. Expired sessions of everyone are purged on the way."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)  # 256 bits (ASVS 7.2.3 asks for 128 at least)
    record = SessionRecord(id=hash_token(token), user_id=user.id, created_at=now,
                           last_seen_at=now, expires_at=now + lifetime(), ip=ip,
                           user_agent=user_agent[:USER_AGENT_LENGTH])
    store().purge(now)
    store().add(record)
    return token, record


def start(user: User) -> SessionRecord:
    """Sign `user` in on this browser: whatever session it had ends, Flask's cookie is
    emptied (but for the language), and a new token is issued (ASVS 7.2.4)."""
    end_current()
    _fresh_flask_session()
    token, record = create(user, ip=client_ip(),
                           user_agent=request.headers.get("User-Agent", ""))
    _use(token, record, user)
    return record


def renew() -> SessionRecord | None:
    """A new token for this browser's session, after a change of privilege (a role in a new
    case, a second factor passed): the old token stops working; the session keeps its
    start and its absolute end."""
    current = current_session()
    if current is None:
        return None
    user = g._login_user
    token = secrets.token_urlsafe(32)
    record = replace(current, id=hash_token(token))
    store().delete(current.id)
    store().add(record)
    _use(token, record, user)
    return record


def end_current() -> None:
    """Sign this browser out: its session is deleted and its cookie cleared."""
    current = current_session()
    if current is not None:
        store().delete(current.id)
    _forget()


def end_other_sessions(user: User, *, keep: SessionRecord | None = None,
                       reason: str = "sign_out_everywhere", actor: User | None = None) -> int:
    """End every session of `user` but `keep` (None: all of them, this browser's too when it
    is one of them). For "sign out everywhere", a password change or reset, a second-factor
    reset, a deactivation: each of those sessions' next request gets the sign-in page. One
    security event says how many ended and why. Returns how many ended."""
    keep_id = keep.id if keep is not None and keep.user_id == user.id else None
    ended = store().delete_of_user(user.id, keep_id)
    current = g.get("sulh_session") if has_request_context() else None
    if current is not None and current.id in ended:
        _forget()
    security_log.record("sessions_ended", "success", user_id=user.id,
                        actor_id=(actor or user).id, count=len(ended), reason=reason)
    return len(ended)


def end_session(user: User, handle: str, *, actor: User | None = None) -> bool:
    """End one session of `user`, named by its handle (the account page's "revoke")."""
    target = next((s for s in active_sessions(user) if s.handle == handle), None)
    if target is None:
        return False
    store().delete(target.id)
    current = g.get("sulh_session") if has_request_context() else None
    if current is not None and current.id == target.id:
        _forget()
    security_log.record("session_revoked", "success", user_id=user.id,
                        actor_id=(actor or user).id, session_ref=handle)
    return True


def active_sessions(user: User, now: datetime | None = None) -> list[SessionRecord]:
    """The user's sessions that have not ended, the most recently used first."""
    now = now or utcnow()
    idle = idle_timeout()
    live = [s for s in store().of_user(user.id) if s.ends_at(idle) > now]
    return sorted(live, key=lambda s: s.last_seen_at, reverse=True)


def current_session() -> SessionRecord | None:
    """This request's session (None: not signed in by a session — a visitor, or an API
    token)."""
    if not has_request_context():
        return None
    if "_login_user" not in g:
        login_manager._load_user()
    found: SessionRecord | None = g.get("sulh_session")
    return found


# -------------------------------------------------------------------- request plumbing
def _use(token: str, record: SessionRecord, user: User) -> None:
    g.sulh_new_token = token
    g.sulh_session = record
    g.pop("sulh_clear_cookie", None)
    g._login_user = user  # Flask-Login's current_user, from now on in this request


def _forget() -> None:
    g.sulh_session = None
    g.pop("sulh_new_token", None)
    g.sulh_clear_cookie = True
    g._login_user = login_manager.anonymous_user()
    _fresh_flask_session()


def _fresh_flask_session() -> None:
    """Flask's cookie starts empty but for the language: no CSRF token or message of the
    session before carries over."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def load_user(req: Request) -> User | None:
    """Flask-Login's request loader: the user of the session the cookie names, if it has
    neither been idle too long nor reached its end, and the account is active."""
    g.sulh_session = None
    token = req.cookies.get(current_app.config["SIGN_IN_COOKIE_NAME"])
    if not token:
        return None
    if not _TOKEN.fullmatch(token):
        g.sulh_clear_cookie = True
        return None
    sessions = store()
    session_id = hash_token(token)
    try:
        found = sessions.load(session_id)
    except Exception:
        if isinstance(sessions, DatabaseStore):
            raise  # the database's own errors are answered as such (503), not as signed out
        log.exception("session store unreachable")
        return None
    if found is None:
        g.sulh_clear_cookie = True
        return None
    record, user = found
    now = utcnow()
    if record.ends_at(idle_timeout()) <= now or not user.is_active:
        sessions.expire(session_id)
        g.sulh_clear_cookie = True
        return None
    if (now - record.last_seen_at).total_seconds() >= current_app.config[
            "SESSION_TOUCH_SECONDS"]:
        sessions.touch(session_id, now)
        record = replace(record, last_seen_at=now)
    g.sulh_session = record
    return user


def write_cookie(response: Response) -> Response:
    """Set the new token, or clear a cookie that names no session (any longer)."""
    config = current_app.config
    token = g.get("sulh_new_token")
    if token:
        response.set_cookie(config["SIGN_IN_COOKIE_NAME"], token, path="/",
                            secure=config["SIGN_IN_COOKIE_SECURE"], httponly=True,
                            samesite=config["SIGN_IN_COOKIE_SAMESITE"])
        response.vary.add("Cookie")
    elif g.get("sulh_clear_cookie"):
        response.delete_cookie(config["SIGN_IN_COOKIE_NAME"], path="/",
                               secure=config["SIGN_IN_COOKIE_SECURE"], httponly=True,
                               samesite=config["SIGN_IN_COOKIE_SAMESITE"])
    return response


STORES = ("database", "redis")


def init_app(app: Flask) -> None:
    if app.config["SESSION_STORE"] not in STORES:  # refused at start, not at the first request
        raise RuntimeError(f"SULH_SESSION_STORE must be one of {STORES}, not "
                           f"{app.config['SESSION_STORE']!r}")
    login_manager.request_loader(load_user)
    # Flask-Login's "session protection" hashes address and browser into Flask's cookie on
    # every request; the server-side session makes it redundant.
    login_manager.session_protection = None
    app.after_request(write_cookie)
