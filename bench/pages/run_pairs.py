"""Pair each learner page with the bare Flask page, in one run: requests per second under gunicorn and wrk.

    .venv/bin/python bench/pages/run_pairs.py                      # SQLite, a fresh database in bench/pages/out
    .venv/bin/python bench/pages/run_pairs.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/elearn_bench_pages

Builds the database (`flask db upgrade`, `flask courses sync`, seed.py), starts elearn and bench/pages/bare_app.py
side by side under gunicorn.conf.py with the same settings (2 sync workers each, JSON logs at INFO as in
production, access log on), then for each learner page runs wrk against the page and against the bare page in
turn, `--rounds` times, so that whatever else the machine does hits both alike. Reports the median requests per
second of each and their ratio. Every page is checked first: 200, the learner's own page (not the sign-in
page), and no Set-Cookie (the session is as the browser holds it); wrk's non-2xx count must be zero.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "bench" / "pages"
VENV = ROOT / ".venv" / "bin"


def _run(command: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=ROOT, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def _serve(app: str, port: int, env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """gunicorn with gunicorn.conf.py and this app; waits until it answers (any status)."""
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "1",
                  "GUNICORN_MAX_REQUESTS": "0"}
    process = subprocess.Popen([str(VENV / "gunicorn"), "-c", "gunicorn.conf.py", *extra, app], env=server_env,
                               cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except urllib.error.HTTPError:  # it answers (floor_app's / asks for a sign-in)
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn on {port} did not answer: see {log}")


def _check(port: int, path: str, cookie: str, agent: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie, "User-Agent": agent})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http on loopback; redirects followed
        body = response.read()
        if response.status != 200 or response.url.split(":", 2)[-1].split("/", 1)[-1] != path.lstrip("/"):
            raise SystemExit(f"{path} did not answer 200 itself (ended at {response.url})")
        if response.headers.get("Set-Cookie"):
            raise SystemExit(f"{path} set a cookie: the session given is not as the browser holds it")
    return len(body)


def _wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], check=True, text=True, capture_output=True).stdout
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found, output
    return float(found[1])


def _floor_cookie(port: int, agent: str) -> str:
    """floor_app's session cookie, signed in with the browser the pages are asked by (Flask-Login's session
    protection ties the session to it, as elearn's does)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/sign-in", method="POST", headers={"User-Agent": agent})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http on loopback
        return response.headers["Set-Cookie"].split(";", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in --out")
    parser.add_argument("--out", default=str(HERE / "out"))
    parser.add_argument("--seconds", type=int, default=5, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per page and per side, alternating")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--page", action="append", help="only these pages (default: all)")
    parser.add_argument("--app-port", type=int, default=8201)
    parser.add_argument("--bare-port", type=int, default=8202)
    parser.add_argument("--floor-port", type=int, default=8203)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    database = args.database_url or f"sqlite:///{out / 'pages.db'}"
    if database.startswith("sqlite:///"):
        Path(database.removeprefix("sqlite:///")).unlink(missing_ok=True)
    env = {**os.environ, "ELEARN_CONFIG": "development", "DATABASE_URL": database, "FLASK_APP": "elearn",
           "SECRET_KEY": "bench-pages-only-secret", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
           "MAIL_BACKEND": "folder", "MAIL_FOLDER": str(out / "mail"), "PYTHONPATH": str(ROOT)}
    _run([str(VENV / "flask"), "db", "upgrade"], env)
    _run([str(VENV / "flask"), "courses", "sync"], env)
    seeded = json.loads(_run([str(VENV / "python"), "bench/pages/seed.py"], {**env, "LOG_LEVEL": "WARNING"}).stdout)
    agent, pages = seeded["user_agent"], seeded["pages"]
    servers = [_serve("wsgi:app", args.app_port, env, out / "gunicorn-app.log"),
               _serve("bare_app:app", args.bare_port, env, out / "gunicorn-bare.log", "--pythonpath", "bench/pages")]
    # The floor (floor_app.py): the bare page behind the least any signed-in Flask page needs, not elearn.
    # On the same database server as elearn: its own SQLite file, or its own table in the PostgreSQL database.
    floor_db = out / "floor.db"
    floor_db.unlink(missing_ok=True)
    floor_url = f"sqlite:///{floor_db}" if database.startswith("sqlite") else database
    servers.append(_serve("floor_app:app", args.floor_port, {**env, "FLOOR_DATABASE_URL": floor_url},
                          out / "gunicorn-floor.log", "--pythonpath", "bench/pages"))
    pages = {**pages, "floor (not elearn)": {"path": "/", "cookie": _floor_cookie(args.floor_port, agent),
                                             "port": args.floor_port}}
    rows = []
    try:
        bare_bytes = _check(args.bare_port, "/", "", agent)
        for name, page in pages.items():
            if args.page and name not in args.page:
                continue
            port = page.get("port", args.app_port)
            size = _check(port, page["path"], page["cookie"], agent)
            app_rps, bare_rps = [], []
            for _ in range(args.rounds):
                app_rps.append(_wrk(f"http://127.0.0.1:{port}{page['path']}", args.seconds, args.connections,
                                    {"Cookie": page["cookie"], "User-Agent": agent}))
                bare_rps.append(_wrk(f"http://127.0.0.1:{args.bare_port}/", args.seconds, args.connections,
                                     {"User-Agent": agent}))
            app_median, bare_median = statistics.median(app_rps), statistics.median(bare_rps)
            rows.append((name, page["path"], size, app_median, bare_median, app_median / bare_median))
            print(f"{name}: {app_median:.0f} req/s against bare {bare_median:.0f} req/s = {app_median / bare_median:.2f}x"
                  f" (rounds: {[round(r) for r in app_rps]} / {[round(r) for r in bare_rps]})", file=sys.stderr)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    load = os.getloadavg()
    print(f"\n{platform.node()}: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()},"
          f" {database.split(':', 1)[0]}, gunicorn 2 sync workers each, wrk -t2 -c{args.connections} "
          f"-d{args.seconds}s x {args.rounds} rounds alternating; bare page {bare_bytes} bytes; "
          f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print("| page | path | bytes | elearn req/s | bare req/s | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, path, size, app_rps_, bare_rps_, ratio in rows:
        print(f"| {name} | `{path}` | {size} | {app_rps_:.0f} | {bare_rps_:.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
