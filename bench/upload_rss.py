"""Peak memory of one large upload: POST /cases/<number>/documents/upload under gunicorn
(one worker, one thread, so the worker's RSS is the request's), and print the worker's peak
RSS growth over its idle, warmed-up size.

    python bench/upload_rss.py                 # 500 MB
    python bench/upload_rss.py --megabytes 50  # quick

Seeds a small SQLite database of its own (bench/seed.py) unless --database-url is given.
The peak is the kernel's high-water mark (VmHWM in /proc/<pid>/status), reset just before
the upload through /proc/<pid>/clear_refs (Linux; needs to own the process).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from load import free_port, request, sample_case, sign_in, start_server  # noqa: E402

CHUNK = 1024 * 1024


def status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


def worker_of(master: int) -> int:
    for _ in range(50):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise SystemExit("no gunicorn worker found")


def upload(port: int, path: str, cookie: str, token: str, megabytes: int) -> int:
    boundary = "sulhbenchboundary7d1a90c2f"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
            f"Large exhibit\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"kind\"\r\n\r\nexhibit\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"file\"; filename=\"large.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    pdf_head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    size = megabytes * CHUNK
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", path)
    conn.putheader("Cookie", cookie)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    conn.send(head + pdf_head)
    block = os.urandom(CHUNK)
    sent = len(pdf_head)
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        conn.send(piece)
        sent += len(piece)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="sulh-upload-"))
    url = args.database_url
    if not url:
        url = f"sqlite:///{workdir / 'bench.db'}"
        subprocess.run([sys.executable, str(ROOT / "bench" / "seed.py"), "--database-url", url,
                        "--cases", "5000", "--docs-per-case", "1", "--reset"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    number, _code = sample_case(url)
    os.environ["SULH_MAX_UPLOAD_MB"] = str(args.megabytes + 10)
    os.environ["TMPDIR"] = str(workdir)
    port = free_port()
    server = start_server(url, port, workers=1, threads=1, log=workdir / "gunicorn.log",
                          storage=workdir / "storage")
    try:
        cookie = sign_in(port, "claimant@bench.sulh.example")
        path = f"/cases/{number}/documents/upload"
        status, page, cookies = request(port, "GET", path, cookie=cookie)
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
        if "session" in cookies:  # the form's CSRF token went into the session
            cookie = f"session={cookies['session']}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        upload(port, path, cookie, token, 1)  # warm up: imports, first-request caches
        worker = worker_of(server.pid)
        idle = status_kb(worker, "VmRSS")
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the high-water mark
        started = time.perf_counter()
        status = upload(port, path, cookie, token, args.megabytes)
        took = time.perf_counter() - started
        peak = status_kb(worker, "VmHWM")
        print(f"upload of {args.megabytes} MB: HTTP {status} in {took:.1f} s "
              f"({args.megabytes / took:.0f} MB/s); worker RSS idle {idle / 1024:.0f} MB, "
              f"peak {peak / 1024:.0f} MB, growth {(peak - idle) / 1024:.0f} MB")
        if status != 302:
            print("  (the upload was refused; see the server log "
                  f"{workdir / 'gunicorn.log'})")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
