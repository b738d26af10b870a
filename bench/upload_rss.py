"""Peak RSS growth of a web worker while it receives one large upload.

Starts the app in a child process (werkzeug server, one thread), signs in, uploads a file of
SIZE_MB (default 500) as multipart/form-data streamed from a generator — the client never
holds it either — then reads the child's peak RSS (VmHWM) before and after. Target: < 64 MB.

    /work/main/.venv/bin/python bench/upload_rss.py [SIZE_MB]
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105  (tests/conftest.py's)
CHILD = r"""
import os, sys
sys.path.insert(0, os.environ["SULH_ROOT"])
import config
from app import create_app
from app.extensions import db
from werkzeug.serving import make_server

settings = config.TestConfig()
settings.SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.environ["BENCH_DB"]
settings.SQLALCHEMY_ENGINE_OPTIONS = {}
settings.STORAGE_URL = "file://" + os.environ["BENCH_STORAGE"]
settings.MAX_CONTENT_LENGTH = settings.MAX_FILE_SIZE = settings.MAX_CASE_SIZE = 2 ** 40
app = create_app(settings)
with app.app_context():
    db.create_all()
    from tests.conftest import People
    from tests.helpers import served_case
    people = People(app)
    number, _ = served_case(app, people)
    print(number, flush=True)
server = make_server("127.0.0.1", int(os.environ["BENCH_PORT"]), app, threaded=False)
server.serve_forever()
"""


def sign_in(conn: http.client.HTTPConnection) -> str:
    """The server-side session's cookie of the tests' claimant: the password, then the
    second step with the tests' authenticator key (served_case signed in with this step's
    code, so the next step's, which is accepted too)."""
    import pyotp

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/login", body=urllib.parse.urlencode(
        {"email": "claimant@example.test", "password": "correct horse battery"}),
        headers=form)
    response = conn.getresponse()
    response.read()
    step = next(c.split(";")[0] for c in response.headers.get_all("Set-Cookie")
                if c.startswith("sulh_second_step="))
    for step_ahead in (1, 0):
        code = pyotp.TOTP(TESTS_TOTP_SECRET).at(time.time() + 30 * step_ahead)
        conn.request("POST", "/login/code", body=f"code={code}",
                     headers={**form, "Cookie": step})
        response = conn.getresponse()
        response.read()
        cookies = response.headers.get_all("Set-Cookie") or []
        found = [c.split(";")[0] for c in cookies if c.startswith("sulh_session=")]
        if found:
            return found[0]
    raise SystemExit("sign-in failed at the second step")


def hwm_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_hwm(pid: int) -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM to the current RSS."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    work = Path(tempfile.mkdtemp(prefix="sulh-bench-"))
    port = free_port()
    env = {**os.environ, "SULH_ROOT": str(ROOT), "BENCH_DB": str(work / "bench.db"),
           "BENCH_STORAGE": str(work / "storage"), "BENCH_PORT": str(port),
           "SULH_INSTANCE": str(work / "instance")}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        number = child.stdout.readline().strip()
        time.sleep(0.5)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        cookie = sign_in(conn)
        # Warm up (first request imports and compiles templates), then measure from here.
        conn.request("GET", f"/cases/{number}/documents/upload", headers={"Cookie": cookie})
        conn.getresponse().read()
        reset = reset_hwm(child.pid)
        before_hwm, before_rss = hwm_kb(child.pid), rss_kb(child.pid)

        boundary = uuid.uuid4().hex
        fields = {"scope": "participants", "confirm": "y", "files-0-title": "Large video",
                  "files-0-kind": "exhibit"}
        head = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                       f"{v}\r\n" for k, v in fields.items())
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files-0-file\"; "
                 f"filename=\"big.mp4\"\r\nContent-Type: video/mp4\r\n\r\n")
        tail = f"\r\n--{boundary}--\r\n".encode()
        chunk = b"\x00" * (1024 * 1024)
        first = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
        length = len(head.encode()) + len(first) + size_mb * len(chunk) + len(tail)

        def body():
            yield head.encode()
            yield first
            for _ in range(size_mb):
                yield chunk
            yield tail

        started = time.monotonic()
        conn.putrequest("POST", f"/cases/{number}/documents/upload")
        conn.putheader("Cookie", cookie)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        for part in body():
            conn.send(part)
        response = conn.getresponse()
        response.read()
        elapsed = time.monotonic() - started
        after_hwm = hwm_kb(child.pid)
        print(f"upload of {size_mb} MB: HTTP {response.status} in {elapsed:.1f} s "
              f"({size_mb / elapsed:.0f} MB/s)")
        print(f"worker RSS before: {before_rss / 1024:.1f} MB; peak before: "
              f"{before_hwm / 1024:.1f} MB (reset: {reset}); peak after: {after_hwm / 1024:.1f} MB")
        growth = (after_hwm - (before_rss if reset else before_hwm)) / 1024
        print(f"peak RSS growth: {growth:.1f} MB (target < 64 MB)")
    finally:
        child.terminate()
        child.wait(10)
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
