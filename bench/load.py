"""Load test: the app under gunicorn (gunicorn.conf.py), driven by wrk, one page at a time.

    python bench/load.py --database-url sqlite:///instance/bench.db --duration 5
    python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/sulh_bench \
        --duration 30

Needs a database seeded by bench/seed.py and `wrk` (Debian: `apt-get install -y wrk`, or
`make bench-prereqs`). Measures, on the same server in the same run: the bare /bench/hello
route (the ceiling), the public verify page, a signed-in request doing nothing else
(/bench/signed-in: the server-side session, the user and the transaction), the case managers'
console, a party's case list and a case page; prints requests/s, the ratio to the ceiling,
and p50/p99 latency. Signed-in pages carry the session cookie of a real sign-in (POST /login,
then the second step's code, over http.client).

Requests/s under load swing by up to 2x between runs of the same code on this shared two-core
machine (how wrk's keep-alive connections happen to spread over the workers); the CPU that
gunicorn, PostgreSQL and wrk together spend per request does not. So each row also gives
"CPU us/req" and "capacity": the ceiling's CPU per request over the page's — the share of the
ceiling's requests/s the page reaches when the cores, not the scheduling, are the limit.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-password"  # noqa: S105  (bench/seed.py's accounts)
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH22"  # noqa: S105  (bench/seed.py's accounts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int | None, threads: int | None,
                 log: Path, storage: Path | None = None) -> subprocess.Popen:
    conf = Path(tempfile.mkdtemp()) / "gunicorn_bench.py"
    # The repository's settings, with the access log off (wrk's requests would flood it).
    conf.write_text(f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
                    f"accesslog = None\nbind = '127.0.0.1:{port}'\n"
                    "max_requests = 0\n")
    env = dict(os.environ, SULH_ENV="production", DATABASE_URL=url,
               SECRET_KEY=secrets.token_hex(32),
               SULH_JOBS="inprocess", SULH_BENCH_ROUTES="1",
               STORAGE_URL=f"file://{storage or tempfile.mkdtemp()}")
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if threads:
        env["SULH_THREADS"] = str(threads)
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(conf), "app:create_app()"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    for _ in range(200):
        try:
            status, _body, _ = request(port, "GET", "/bench/hello")
            if status == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}")
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer; see {log}")


def request(port: int, method: str, path: str, body: dict | None = None,
            cookie: str = "") -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    conn.close()
    return response.status, text, cookies


SIGN_IN_COOKIE = "__Host-sulh_session"  # the production profile's (config.py)
STEP_COOKIE = "__Host-sulh_second_step"  # its second step of signing in


def sign_in(port: int, email: str) -> str:
    """The session cookie of a real sign-in as `email`: GET the form (CSRF token and Flask's
    cookie), POST it; the answer sets the server-side session's token."""
    status, page, cookies = request(port, "GET", "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"email": email, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, page, cookies = request(port, "POST", "/login", form, cookie)
    if status == 302 and cookies.get(STEP_COOKIE):  # the second step: the app's code
        cookie = f"{cookie}; {STEP_COOKIE}={cookies[STEP_COOKIE]}"
        for step_ahead in (0, 1):  # this step's code may have been used by a run just before
            form["code"] = second_factor_code(step_ahead)
            status, page, cookies = request(port, "POST", "/login/code", form, cookie)
            if status == 302:
                break
    if status != 302 or not cookies.get(SIGN_IN_COOKIE):
        errors = re.findall(r"class=\"(?:error[^\"]*)\"[^>]*>([^<]+)", page)
        raise SystemExit(f"sign-in as {email} failed ({status}): {errors or page[:300]}")
    return f"{SIGN_IN_COOKIE}={cookies[SIGN_IN_COOKIE]}"


def second_factor_code(steps_ahead: int = 0) -> str:
    """The code an authenticator app with bench/seed.py's key shows now (or a step on)."""
    import pyotp

    return pyotp.TOTP(TOTP_SECRET).at(time.time() + 30 * steps_ahead)


def sample_case(url: str) -> tuple[str, str]:
    """A filed case of the big bench party, and a verification code that exists."""
    from sqlalchemy import create_engine, text

    import config

    engine = create_engine(config.normalise_database_url(url))
    with engine.connect() as conn:
        number = conn.execute(text(
            "SELECT c.number FROM cases c JOIN participants p ON p.case_id = c.id "
            "JOIN users u ON u.id = p.user_id WHERE u.email = 'claimant@bench.sulh.example' "
            "AND c.closed_at IS NULL AND c.stage <> 'draft' "
            "ORDER BY c.stage = 'mediation' DESC, c.id LIMIT 1")).scalar_one()
        code = conn.execute(text(
            "SELECT verification_code FROM decisions WHERE status = 'issued' "
            "ORDER BY id DESC LIMIT 1")).scalar_one()
    engine.dispose()
    return number, code


def cpu_seconds(group: int) -> float:
    """CPU time so far of the server's processes (its process group) and of PostgreSQL's."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                comm_end = (stat := f.read()).rindex(")")
        except OSError:
            continue  # gone meanwhile
        fields = stat[comm_end + 2:].split()
        if int(fields[2]) == group or stat[stat.index("(") + 1:comm_end] == "postgres":
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(port: int, path: str, cookie: str, duration: int, connections: int,
        threads: int, group: int | None = None) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
               f"http://127.0.0.1:{port}{path}"]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    before = (cpu_seconds(group) if group else 0.0,
              resource.getrusage(resource.RUSAGE_CHILDREN))
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = (cpu_seconds(group) - before[0]) if group else 0.0
    load_cpu = (after.ru_utime + after.ru_stime) - (before[1].ru_utime + before[1].ru_stime)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    done = int(re.search(r"(\d+) requests in", output).group(1))

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", output).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50": percentile("50"), "p99": percentile("99"),
            "cpu_us": (served + load_cpu) / max(done, 1) * 1e6,
            "non2xx": float(errors.group(1)) if errors else 0.0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'bench.db'}"))
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, help="threads per worker (SULH_THREADS)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk  (or make bench-prereqs)")
    url = args.database_url.replace("postgres://", "postgresql://")
    sys.path.insert(0, str(ROOT))
    number, code = sample_case(url)
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "gunicorn.log"
    server = start_server(url, port, args.workers, args.threads, log)
    try:
        manager = sign_in(port, "manager@bench.sulh.example")
        party = sign_in(port, "claimant@bench.sulh.example")
        small_party = sign_in(port, "party@bench.sulh.example")
        pages = [
            ("ceiling: /bench/hello", "/bench/hello", ""),
            ("public verify page", f"/verify/{code}", ""),
            ("signed in, no page work", "/bench/signed-in", small_party),
            ("case managers' console", "/manage/", manager),
            ("party's list (12 cases)", "/dashboard", small_party),
            ("party's list (0.2% of all)", "/dashboard", party),
            ("a case page", f"/cases/{number}", party),
        ]
        # A fresh server serves the bare route at about half speed for its first ten seconds or
        # so (seen repeatedly on this machine); let that pass before anything is timed.
        wrk(port, "/bench/hello", "", 12, args.connections, args.wrk_threads)
        for _label, path, cookie in pages:  # every page answers 200 before we time it
            status, body, _ = request(port, "GET", path, cookie=cookie)
            if status != 200:
                raise SystemExit(f"{path} answered {status}: {body[:300]}")
            wrk(port, path, cookie, 2, args.connections, args.wrk_threads)  # warm up
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        workers = args.workers or os.environ.get("WEB_CONCURRENCY") or "2 x cores"
        print(f"{database}, gunicorn gthread (workers: {workers}), "
              f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s, "
              f"load before: {os.getloadavg()[0]:.2f}")
        print(f"{'page':<26}{'req/s':>9}{'of ceiling':>12}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'CPU us/req':>12}{'capacity':>10}")
        # The ceiling is measured first and again last; the ratios are to the mean of the two,
        # so that a disturbance during either run shows instead of skewing every ratio.
        results = [(label, wrk(port, path, cookie, args.duration, args.connections,
                               args.wrk_threads, server.pid)) for label, path, cookie in pages]
        results.append(("ceiling again", wrk(port, pages[0][1], "", args.duration,
                                             args.connections, args.wrk_threads, server.pid)))
        ceiling = (results[0][1]["rps"] + results[-1][1]["rps"]) / 2
        ceiling_cpu = (results[0][1]["cpu_us"] + results[-1][1]["cpu_us"]) / 2
        for label, result in results:
            note = ""
            if result["non2xx"] or result["socket_errors"]:
                note = f"  (non-2xx {result['non2xx']:.0f} {result['socket_errors']})"
            print(f"{label:<26}{result['rps']:>9,.0f}{result['rps'] / ceiling:>11.0%} "
                  f"{result['p50']:>8.1f}{result['p99']:>9.1f}{result['cpu_us']:>12,.0f}"
                  f"{ceiling_cpu / result['cpu_us']:>9.0%}{note}", flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
