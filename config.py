"""Configuration, read from the environment.

Three profiles share one code path: the embedded default (SQLite, a local directory, jobs run
in-process, demo data allowed), production (PostgreSQL, Redis, a real secret) and tests.
`SULH_ENV` picks the profile; everything else comes from environment variables so that
containers and CI configure the same build differently.
"""

from __future__ import annotations

import itertools
import math
import os
import secrets
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SULH_INSTANCE", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _ints(name: str, default: str) -> tuple[int, ...]:
    return tuple(int(x) for x in os.environ.get(name, default).split(",") if x.strip())


def _embedded_secret() -> str:
    """A per-installation random key kept under instance/, so sessions survive restarts
    without anyone having to invent a secret for a local trial run."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


# The session secret signs every session cookie and CSRF token: whoever can guess it can sign
# in as anyone. 256 bits is what `secrets.token_hex(32)` (64 hex digits) or
# `secrets.token_urlsafe(32)` (43 characters) give.
SECRET_KEY_MIN_BITS = 256
# Values copied from tutorials, templates and our own test configuration.
KNOWN_SECRET_KEYS = frozenset({
    "dev", "development", "secret", "secret-key", "secret_key", "secretkey", "mysecret",
    "changeme", "change-me", "change_me", "changeit", "please-change-me", "default",
    "password", "test", "testing", "sulh", "flask", "your-secret-key", "your_secret_key",
    "super-secret", "supersecret", "super-secret-key", "insecure", "notsecret",
    "test-secret-key-not-for-production-use-0123456789",
})
# The alphabets a generated key is drawn from, smallest first.
_ALPHABETS = (
    ("0123456789", 10),
    ("0123456789abcdef", 16),
    ("0123456789ABCDEF", 16),
    ("0123456789abcdefghijklmnopqrstuvwxyz", 36),
    ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 36),
    ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 62),
    ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_", 64),
    ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/=", 65),
    ("".join(chr(c) for c in range(0x20, 0x7F)), 95),
)


def secret_key_bits(secret: str) -> float:
    """A generous estimate of the key's entropy: its length times the bits of the smallest
    alphabet it is written in (hex: 4 bits a character, base64: 6), or nothing when its
    characters are far less varied than a random draw from that alphabet would be
    (`aaaa…`, `abab…`, a word repeated)."""
    size = next((n for alphabet, n in _ALPHABETS if set(secret) <= set(alphabet)), 0)
    if not size:  # beyond printable ASCII: count the distinct characters as the alphabet
        size = max(len(set(secret)), 2)
    counts = Counter(secret)
    shannon = -sum(c / len(secret) * math.log2(c / len(secret)) for c in counts.values())
    # A random key of this length and alphabet has nearly log2(min(size, length)) bits of
    # Shannon entropy per character (3.8 of 4 for 64 hex digits); three quarters of it is
    # far below any random key and far above any pattern.
    if shannon < 0.75 * math.log2(max(2, min(size, len(secret)))):
        return 0.0
    # Runs like `abcdef…`/`987654…`: one random pair in `size` is neighbours by chance.
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(secret)]
    if steps and sum(step in (1, -1) for step in steps) > len(steps) / 3:
        return 0.0
    return len(secret) * math.log2(size)


def secret_key_problem(secret: str) -> str | None:
    """Why production must not start with this SECRET_KEY, or None if it may."""
    if not secret:
        return "SECRET_KEY is not set"
    if secret.strip().lower() in KNOWN_SECRET_KEYS:
        return "SECRET_KEY is a well-known default value"
    period = (secret + secret).find(secret, 1)
    if period < len(secret):
        return (f"SECRET_KEY repeats the same {period} character(s) "
                f"({secret[:period]!r} × {len(secret) // period})")
    bits = secret_key_bits(secret)
    if bits == 0:
        return "SECRET_KEY is a pattern or text, not a random value"
    if bits < SECRET_KEY_MIN_BITS:
        return (f"SECRET_KEY has about {bits:.0f} bits of entropy; at least "
                f"{SECRET_KEY_MIN_BITS} are needed")
    return None


class Config:
    ENV_NAME = "base"
    # A database error's text names the statement's values (a form's fields, a token's hash):
    # it reaches the log, so the values are left out of it.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    # A pooled connection idle longer than this is pinged before use (app/services/connections.py)
    DB_PING_IDLE_SECONDS = float(os.environ.get("SULH_DB_PING_IDLE_SECONDS", "10"))
    # Sweeps forked to work through a backlog of expiries (0: one per core; PostgreSQL only)
    SWEEP_PROCESSES = int(os.environ.get("SULH_SWEEP_PROCESSES", "0"))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None  # a long filing session must not lose its work to a token expiry
    # Flask's own signed cookie keeps only what is not a secret (language, CSRF token, flashed
    # messages); who is signed in is a server-side session named by a cookie of its own
    # (app/auth/sessions.py). Production renames both with the __Host- prefix (below).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Strict-Transport-Security max-age (app/headers.py); 0: not sent (plain http locally).
    HSTS_SECONDS = 0
    SIGN_IN_COOKIE_NAME = "sulh_session"
    SIGN_IN_COOKIE_SECURE = False  # http://127.0.0.1 in the embedded default
    SIGN_IN_COOKIE_SAMESITE = "Lax"
    # Where sessions live: "database" (a user_sessions row) or "redis" (SESSION_REDIS_URL).
    SESSION_STORE = os.environ.get("SULH_SESSION_STORE", "database")
    SESSION_REDIS_URL = os.environ.get("SULH_SESSION_REDIS_URL", "")  # unset: REDIS_URL
    SESSION_REDIS_PREFIX = os.environ.get("SULH_SESSION_REDIS_PREFIX", "sulh:session:")
    # ASVS 7.3.1/7.3.2: ended after this long without a request, and this long after sign-in.
    SESSION_IDLE_MINUTES = int(os.environ.get("SULH_SESSION_IDLE_MINUTES", "30"))
    SESSION_LIFETIME_HOURS = float(os.environ.get("SULH_SESSION_LIFETIME_HOURS", "12"))
    # A session's "last seen" is written at most this often (a write per request would cost
    # every signed-in page a statement); the idle timeout is therefore exact to this much.
    SESSION_TOUCH_SECONDS = int(os.environ.get("SULH_SESSION_TOUCH_SECONDS", "60"))
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted: the source
    # address that throttling and the security log see (0: the socket's peer).
    PROXY_HOPS = int(os.environ.get("SULH_PROXY_HOPS", "0"))

    # Throttling (Flask-Limiter, app/auth/throttle.py). Memory in the embedded default and
    # tests (one process); Redis in production, so that every worker counts the same attempts.
    RATELIMIT_STORAGE_URI = os.environ.get("SULH_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STRATEGY = "moving-window"  # "5 in 15 minutes" means any 15 minutes
    RATELIMIT_HEADERS_ENABLED = False  # Retry-After is set on the 429 answer itself
    # Failed sign-ins per account (any password refused after this, the owner emailed) and per
    # source address (high enough that one office's people do not lock each other out).
    THROTTLE_SIGN_IN_ACCOUNT = os.environ.get("SULH_THROTTLE_SIGN_IN_ACCOUNT", "5 per 15 minutes")
    THROTTLE_SIGN_IN_IP = os.environ.get("SULH_THROTTLE_SIGN_IN_IP", "50 per 15 minutes")
    # Registrations sent (per address, and per email: each sends that address a message).
    THROTTLE_REGISTER_IP = os.environ.get("SULH_THROTTLE_REGISTER_IP", "20 per hour")
    THROTTLE_REGISTER_EMAIL = os.environ.get("SULH_THROTTLE_REGISTER_EMAIL", "3 per hour")
    # Verification codes looked up and not found (guessing codes), per address.
    THROTTLE_VERIFY_IP = os.environ.get("SULH_THROTTLE_VERIFY_IP", "20 per 15 minutes")
    # API requests with a token that is not valid, per address.
    THROTTLE_API_TOKEN_IP = os.environ.get("SULH_THROTTLE_API_TOKEN_IP", "30 per 15 minutes")
    # Wrong second-factor codes per account; password-reset requests (app/auth/throttle.py).
    THROTTLE_SECOND_FACTOR_ACCOUNT = os.environ.get("SULH_THROTTLE_SECOND_FACTOR_ACCOUNT",
                                                    "5 per 15 minutes")
    THROTTLE_PASSWORD_RESET_IP = os.environ.get("SULH_THROTTLE_PASSWORD_RESET_IP", "20 per hour")
    THROTTLE_PASSWORD_RESET_EMAIL = os.environ.get("SULH_THROTTLE_PASSWORD_RESET_EMAIL",
                                                   "3 per hour")
    # The second factor (app/auth/second_factor.py). Case managers, neutrals (and admins) must
    # use an authenticator app; parties may use one or a code by email, unless this is set.
    REQUIRE_TOTP = _bool("SULH_REQUIRE_TOTP")
    # The name authenticator apps show next to the account.
    TOTP_ISSUER = os.environ.get("SULH_TOTP_ISSUER", "Sulh")
    # How long a browser may take between the password and the code, and how long an emailed
    # code works.
    SECOND_STEP_MINUTES = int(os.environ.get("SULH_SECOND_STEP_MINUTES", "15"))
    EMAIL_CODE_MINUTES = int(os.environ.get("SULH_EMAIL_CODE_MINUTES", "10"))
    # The step in progress is named by a cookie of its own (Secure and SameSite as the
    # sign-in cookie; __Host- in production).
    SECOND_STEP_COOKIE_NAME = "sulh_second_step"
    # Codes emailed per account (each one is a message to its mailbox).
    THROTTLE_EMAIL_CODE_ACCOUNT = os.environ.get("SULH_THROTTLE_EMAIL_CODE_ACCOUNT",
                                                 "5 per 15 minutes")
    # Resending the email-verification link, per account (each sends a message).
    THROTTLE_VERIFY_EMAIL_ACCOUNT = os.environ.get("SULH_THROTTLE_VERIFY_EMAIL_ACCOUNT",
                                                   "3 per hour")
    # Email-change requests, per account (each sends the new address a message).
    THROTTLE_EMAIL_CHANGE_ACCOUNT = os.environ.get("SULH_THROTTLE_EMAIL_CHANGE_ACCOUNT",
                                                   "5 per hour")

    # Password hashes (ASVS 11.4.2; app/services/passwords.py): argon2id with the first
    # configuration of OWASP's Password Storage Cheat Sheet — 19 MiB, 2 passes, 1 lane — about
    # 50 ms of one core per hash. Raising them is safe: hashes made with other parameters (and
    # the scrypt hashes of before) still verify and are replaced at the next sign-in.
    PASSWORD_ARGON2_MEMORY_KIB = int(os.environ.get("SULH_PASSWORD_ARGON2_MEMORY_KIB", "19456"))
    PASSWORD_ARGON2_TIME_COST = int(os.environ.get("SULH_PASSWORD_ARGON2_TIME_COST", "2"))
    PASSWORD_ARGON2_PARALLELISM = int(os.environ.get("SULH_PASSWORD_ARGON2_PARALLELISM", "1"))
    # How long the links emailed to an account's owner work, once (ASVS 6.4.1: a reset link at
    # most an hour).
    PASSWORD_RESET_MINUTES = int(os.environ.get("SULH_PASSWORD_RESET_MINUTES", "60"))
    EMAIL_CHANGE_HOURS = int(os.environ.get("SULH_EMAIL_CHANGE_HOURS", "24"))
    EMAIL_VERIFICATION_HOURS = int(os.environ.get("SULH_EMAIL_VERIFICATION_HOURS", "168"))

    # One request may carry several files; each file and each case have their own limits.
    MAX_CONTENT_LENGTH = int(os.environ.get("SULH_MAX_UPLOAD_MB", "210")) * 1024 * 1024
    MAX_FILE_SIZE = int(os.environ.get("SULH_MAX_FILE_MB", "100")) * 1024 * 1024
    MAX_CASE_SIZE = int(os.environ.get("SULH_MAX_CASE_MB", "1024")) * 1024 * 1024
    # Streamed uploads are parsed in memory only up to this size (form fields, not files).
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    LANGUAGES = ("en", "ar", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

    INSTITUTION_NAME = os.environ.get(
        "SULH_INSTITUTION_NAME", "Sulh — Regional IP Dispute Resolution Centre"
    )
    INSTITUTION_COUNTRY = os.environ.get("SULH_INSTITUTION_COUNTRY", "EG")
    INSTITUTION_SEAT = os.environ.get("SULH_SEAT", "Cairo")
    BASE_URL = os.environ.get("SULH_BASE_URL", "http://127.0.0.1:5000")

    STORAGE_URL = os.environ.get("STORAGE_URL", f"file://{INSTANCE_DIR / 'storage'}")
    STORAGE_S3_ENDPOINT = os.environ.get("STORAGE_S3_ENDPOINT", "")  # e.g. http://minio:9000
    STORAGE_S3_REGION = os.environ.get("STORAGE_S3_REGION", "")
    STORAGE_S3_ACCESS_KEY = os.environ.get("STORAGE_S3_ACCESS_KEY", "")  # else boto3's chain
    STORAGE_S3_SECRET_KEY = os.environ.get("STORAGE_S3_SECRET_KEY", "")
    # Where pg_dump/pg_restore are (`flask backup`); unset: PATH. At least the server's version.
    PG_BIN_DIR = os.environ.get("SULH_PG_BIN", "")
    # Bytes without a row younger than this may be an upload about to commit: never repaired.
    STORAGE_ORPHAN_GRACE_SECONDS = int(os.environ.get("SULH_ORPHAN_GRACE_SECONDS", "3600"))
    # /healthz fails when the store's (or SQLite's) disk has less than this left.
    MIN_FREE_MB = int(os.environ.get("SULH_MIN_FREE_MB", "500"))
    # The exhibit-index PDF inside a case bundle (rendering costs ~1 s).
    BUNDLE_INDEX_PDF = True
    # Jobs are rows committed with their cause (app/services/jobs.py); a relay thread in each
    # process runs them here (inprocess) or hands them to Redis workers (rq).
    JOBS_MODE = os.environ.get("SULH_JOBS", "inprocess")
    JOBS_BACKGROUND = True  # False: no relay thread; jobs wait for `flask jobs drain`
    JOBS_POLL_SECONDS = float(os.environ.get("SULH_JOB_POLL_SECONDS", "5"))
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # Seconds to wait before each retry of a failed job (as many retries as waits), then the
    # job is left failed for the case managers. Email backs off to a day (~2 days in all).
    JOBS_RETRY_INTERVALS = _ints("SULH_JOB_RETRY_INTERVALS", "10,60,300")
    MAIL_RETRY_INTERVALS = _ints("SULH_MAIL_RETRY_INTERVALS",
                                 "60,300,900,3600,10800,21600,43200,86400")
    JOBS_TIMEOUT = int(os.environ.get("SULH_JOB_TIMEOUT", "300"))
    JOBS_QUEUE = os.environ.get("SULH_JOB_QUEUE", "sulh")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Sulh <no-reply@sulh.example>")

    INVITATION_DAYS = 30
    # Reminders go out this many days before a deadline (0: none).
    DEADLINE_REMINDER_DAYS = int(os.environ.get("SULH_REMINDER_DAYS", "3"))
    ALLOW_DEMO_DATA = False
    # bench/load.py's ceiling route (/bench/hello); off unless asked for.
    BENCH_ROUTES = _bool("SULH_BENCH_ROUTES")
    PAGE_SIZE = int(os.environ.get("SULH_PAGE_SIZE", "20"))  # rows per page of a case list


class EmbeddedConfig(Config):
    """`make run`: everything on this machine, nothing to install but Python."""

    ENV_NAME = "embedded"
    ALLOW_DEMO_DATA = True

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'sulh.db'}"
        )


class ProductionConfig(Config):
    ENV_NAME = "production"
    # Cookies only over HTTPS, for this host only: the `__Host-` prefix makes the browser
    # refuse a cookie that is not Secure, has a Domain or a Path other than / (RFC 6265bis), so
    # a sibling subdomain cannot plant or overwrite ours.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_PATH = "/"
    REMEMBER_COOKIE_DOMAIN = None
    HSTS_SECONDS = 31_536_000  # one year (ASVS 3.4.1)
    DEBUG = False
    SIGN_IN_COOKIE_NAME = "__Host-sulh_session"
    SIGN_IN_COOKIE_SECURE = True
    SECOND_STEP_COOKIE_NAME = "__Host-sulh_second_step"
    JOBS_MODE = os.environ.get("SULH_JOBS", "rq")
    # gunicorn listens on 127.0.0.1 behind one reverse proxy (README, "Serving in production")
    PROXY_HOPS = int(os.environ.get("SULH_PROXY_HOPS", "1"))
    # A Redis outage must fail no request: each worker then counts in its own memory.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}

    def __init__(self) -> None:
        secret = os.environ.get("SECRET_KEY", "")
        problem = secret_key_problem(secret)
        if problem is not None:
            raise RuntimeError(
                f"{problem}. Production refuses to start without a random secret of at least "
                f"{SECRET_KEY_MIN_BITS} bits: set SECRET_KEY to the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`.")
        url = os.environ.get("DATABASE_URL")
        if not url:
            raise RuntimeError("DATABASE_URL must be set in production")
        self.SECRET_KEY = secret
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        self.RATELIMIT_STORAGE_URI = os.environ.get("SULH_RATELIMIT_STORAGE_URI",
                                                    self.REDIS_URL)


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"  # noqa: S105
    WTF_CSRF_ENABLED = False
    ALLOW_DEMO_DATA = True
    BASE_URL = "http://localhost"
    JOBS_MODE = "inprocess"
    JOBS_BACKGROUND = False  # tests run the jobs when they choose (tests/conftest.py)
    JOBS_RETRY_INTERVALS = (0, 0, 0)
    MAIL_RETRY_INTERVALS = (0, 0, 0)
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
    JOBS_QUEUE = f"sulh-test-{os.getpid()}"  # test runs side by side never share a queue
    SWEEP_PROCESSES = 1  # tests that fork helpers ask for them
    RATELIMIT_STORAGE_URI = "memory://"  # a fresh count per test app
    # Accounts made by tests hash cheaply (a test signs in several roles); the tests of the
    # hashes themselves and of sign-in timing set the production parameters.
    PASSWORD_ARGON2_MEMORY_KIB = 64
    PASSWORD_ARGON2_TIME_COST = 1

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("TEST_DATABASE_URL", "sqlite://")
        )
        if self.SQLALCHEMY_DATABASE_URI == "sqlite://":
            from sqlalchemy.pool import StaticPool

            # One in-memory database shared by every connection of the test app.
            self.SQLALCHEMY_ENGINE_OPTIONS = {
                **Config.SQLALCHEMY_ENGINE_OPTIONS,
                "poolclass": StaticPool, "connect_args": {"check_same_thread": False}}


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosting providers hand out, and use
    psycopg 3, the driver we pin."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


PROFILES = {
    "embedded": EmbeddedConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}


def load(name: str | None = None) -> Config:
    name = name or os.environ.get("SULH_ENV", "embedded")
    try:
        return PROFILES[name]()
    except KeyError:
        raise RuntimeError(f"unknown SULH_ENV {name!r}; use one of {sorted(PROFILES)}") from None
