"""Uploads while gunicorn workers are killed at random: no acknowledged upload may be lost.

    python bench/crash_uploads.py --uploads 1000 --kills 50           # PostgreSQL (default)
    python bench/crash_uploads.py --database-url sqlite:////tmp/crash.db --uploads 300
    python bench/crash_uploads.py --jobs rq                           # jobs through Redis

A scratch database (PostgreSQL: `sulh_crash`, dropped and created) gets the demo data; gunicorn
serves it; `--clients` threads sign in as the demo claimant and upload files of unique content
to one case, each form with its own one-time submission key. Meanwhile a killer SIGKILLs a
random worker every `uploads / kills` acknowledged uploads (the master starts a new one). An
upload is *acknowledged* when the server answers 302; a client whose connection died resends
the same form (same key, same file), as a browser's "resend" would, up to five times.

At the end, for every acknowledged upload: its row exists, its bytes are in the store with the
SHA-256 of what was sent, and no content is stored twice (the resends acted once); then
`flask storage check` (bytes from killed uploads are orphans within their grace period, never
rows without bytes) and `flask audit verify` must pass. Prints the figures; exits 1 on a loss.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLAIMANT, PASSWORD = "claimant@demo.sulh.test", "sulh-demo-password"
TOTP_SECRET = "SULHDEMOSULHDEMOSULHDEMOSULHDEMO"  # noqa: S105  (app/demo.py, the README)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database(url: str) -> str:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return url
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[-1]
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url


def environment(url: str, instance: Path, storage: Path, jobs: str) -> dict[str, str]:
    return dict(os.environ, FLASK_APP="app:create_app", SULH_ENV="embedded", DATABASE_URL=url,
                SULH_INSTANCE=str(instance), STORAGE_URL=f"file://{storage}", SULH_JOBS=jobs,
                REDIS_URL="redis://127.0.0.1:6379/14", SULH_JOB_QUEUE="sulh-crash-bench")


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
        return response.status, text, cookies, response.headers.get("Location", "")
    finally:
        conn.close()


def sign_in(port: int) -> str:
    """The session cookie of the demo claimant."""
    _, page, cookies, _ = request(port, "GET", "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = f"email={CLAIMANT}&password={PASSWORD}&csrf_token={token}".encode()
    status, _, cookies, _ = request(port, "POST", "/login", body, {
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    if status != 302 or "sulh_second_step" not in cookies:
        raise SystemExit(f"sign-in failed ({status})")
    cookie = f"{cookie}; sulh_second_step={cookies['sulh_second_step']}"
    for step_ahead in (0, 1):  # the second step: the demo app's code (a code works once)
        code = pyotp.TOTP(TOTP_SECRET).at(time.time() + 30 * step_ahead)
        status, _, cookies, _ = request(port, "POST", "/login/code",
                                        f"code={code}&csrf_token={token}".encode(), {
                                            "Cookie": cookie,
                                            "Content-Type": "application/x-www-form-urlencoded"})
        if status == 302 and "sulh_session" in cookies:
            return f"sulh_session={cookies['sulh_session']}"  # the server-side session's token
    raise SystemExit(f"second step failed ({status})")


def upload_form(port: int, cookie: str, number: str) -> tuple[str, str]:
    """The cookies and CSRF token a signed-in browser holds after opening the form."""
    _, page, cookies, _ = request(port, "GET", f"/cases/{number}/documents/upload",
                                  headers={"Cookie": cookie})
    if "session" in cookies:  # Flask's cookie, with the form's CSRF token
        cookie = f"{cookie}; session={cookies['session']}"
    return cookie, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def open_case(url: str) -> str:
    """A case of the demo claimant that takes uploads (not closed, not a draft)."""
    from sqlalchemy import create_engine, text

    import config

    engine = create_engine(config.normalise_database_url(url))
    with engine.connect() as conn:
        number = conn.execute(text(
            "SELECT c.number FROM cases c JOIN participants p ON p.case_id = c.id "
            "JOIN users u ON u.id = p.user_id WHERE u.email = :email AND c.closed_at IS NULL "
            "AND c.number IS NOT NULL ORDER BY c.id LIMIT 1"), {"email": CLAIMANT}).scalar_one()
    engine.dispose()
    return number


def multipart(fields: dict[str, str], content: bytes, filename: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files-0-file"; '
                 f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                 + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Bench:
    def __init__(self, port: int, number: str, cookie: str, csrf: str, uploads: int) -> None:
        self.port, self.number, self.cookie, self.csrf = port, number, cookie, csrf
        self.remaining = uploads
        self.lock = threading.Lock()
        self.acknowledged: dict[str, str] = {}  # sha256 -> title
        self.given_up = 0
        self.resends = 0
        self.refused: dict[int, int] = {}

    def take(self) -> bool:
        with self.lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True

    def client(self) -> None:
        while self.take():
            content = f"exhibit {uuid.uuid4()}\n".encode() * 64
            digest = hashlib.sha256(content).hexdigest()
            title = f"Exhibit {digest[:12]}"
            body, content_type = multipart({
                "csrf_token": self.csrf, "_submission": secrets.token_urlsafe(18),
                "scope": "participants", "confirm": "y", "files-0-title": title,
                "files-0-kind": "exhibit"}, content, f"{digest[:12]}.txt")
            for attempt in range(6):
                try:
                    status, _, _, _ = request(
                        self.port, "POST", f"/cases/{self.number}/documents/upload", body,
                        {"Cookie": self.cookie, "Content-Type": content_type})
                except (OSError, http.client.HTTPException):
                    status = 0  # the worker died under the request: resend the same form
                if status in (302, 303):
                    with self.lock:
                        self.acknowledged[digest] = title
                    break
                with self.lock:
                    self.refused[status] = self.refused.get(status, 0) + 1
                    self.resends += attempt < 5
                time.sleep(0.2)
            else:
                with self.lock:
                    self.given_up += 1


def workers_of(master: int) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().split()
            except OSError:
                continue
            if int(stat[3]) == master:
                found.append(int(pid))
    return found


def killer(bench: Bench, master: int, kills: int, every: int, done: threading.Event,
           killed: list[int]) -> None:
    next_at = every
    while not done.is_set() and len(killed) < kills:
        if len(bench.acknowledged) >= next_at:
            pids = workers_of(master)
            if pids:
                victim = random.choice(pids)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                next_at += every
        time.sleep(0.01)


def verify(url: str, storage: Path, acknowledged: dict[str, str]) -> tuple[int, int, int]:
    """(lost, stored twice, rows without bytes) among the acknowledged uploads."""
    from sqlalchemy import create_engine, text

    import config

    engine = create_engine(config.normalise_database_url(url))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sha256, storage_key FROM documents")).all()
    engine.dispose()
    by_hash: dict[str, list[str]] = {}
    for sha, key in rows:
        by_hash.setdefault(sha, []).append(key)
    lost = twice = missing = 0
    for digest in acknowledged:
        keys = by_hash.get(digest, [])
        if not keys:
            lost += 1
            continue
        twice += len(keys) > 1
        for key in keys:
            path = storage / key
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                missing += 1
    return lost, twice, missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/sulh_crash")
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--jobs", choices=("inprocess", "rq"), default="inprocess")
    args = parser.parse_args(argv)

    url = scratch_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="sulh-crash-"))
    instance, storage = work / "instance", work / "storage"
    instance.mkdir()
    env = environment(url, instance, storage, args.jobs)
    for step in (("db", "upgrade"), ("demo", "seed")):
        done = flask(env, *step)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(step)} failed:\n{done.stderr[-2000:]}")
    port = free_port()
    conf = work / "gunicorn_crash.py"
    conf.write_text(f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
                    f"accesslog = None\nbind = '127.0.0.1:{port}'\n"
                    f"workers = {args.workers}\nmax_requests = 0\n")
    log = work / "gunicorn.log"
    server = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(conf), "app:create_app()"],
                              cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    worker = None
    if args.jobs == "rq":
        worker = subprocess.Popen([str(VENV_BIN / "flask"), "jobs", "worker"], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
    try:
        for _ in range(300):
            try:
                if request(port, "GET", "/healthz")[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.1)
        number = open_case(url)
        cookie, csrf = upload_form(port, sign_in(port), number)
        bench = Bench(port, number, cookie, csrf, args.uploads)
        done, killed = threading.Event(), []
        every = max(1, args.uploads // max(1, args.kills))
        chaos = threading.Thread(target=killer, args=(bench, server.pid, args.kills, every,
                                                      done, killed))
        clients = [threading.Thread(target=bench.client) for _ in range(args.clients)]
        started = time.perf_counter()
        chaos.start()
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        done.set()
        chaos.join()
        took = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)

    lost, twice, missing = verify(url, storage, bench.acknowledged)
    storage_check = flask(env, "storage", "check")
    audit = flask(env, "audit", "verify")
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{database}, gunicorn {args.workers} workers, {args.clients} clients, "
          f"jobs {args.jobs}: {args.uploads} uploads in {took:.1f} s")
    print(f"  workers killed (SIGKILL): {len(killed)}")
    print(f"  acknowledged: {len(bench.acknowledged)}; resends after a dropped connection: "
          f"{bench.resends}; given up: {bench.given_up}; other answers: {bench.refused}")
    print(f"  acknowledged but lost: {lost}; stored twice: {twice}; rows without their bytes: "
          f"{missing}")
    print(f"  flask storage check: exit {storage_check.returncode}: "
          f"{storage_check.stdout.strip().splitlines()[-1] if storage_check.stdout else ''}")
    print(f"  flask audit verify: exit {audit.returncode}: "
          f"{audit.stdout.strip().splitlines()[-1] if audit.stdout else audit.stderr[-300:]}")
    if lost or twice or missing or storage_check.returncode or audit.returncode:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
