"""Profile the learner pages in process: ms per view and the functions that take the time (cProfile).

Uses the database and pages that seed.py printed: `python bench/pages/profile_pages.py pages.json [--views 300]
[--top 25] [--page lesson]`. Run with the server's environment (DATABASE_URL, SECRET_KEY, ELEARN_CONFIG,
LOG_FORMAT). Prints, per page, the mean ms per view through the Flask test client (WSGI in process: no network,
no gunicorn): CPU time of this process, which other work on the machine hardly changes, and wall time; then
the cumulative profile of the chosen pages. `--bare` adds bench/pages/bare_app.py's page for comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

from elearn import create_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages")
    parser.add_argument("--views", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", action="append", help="profile only these pages (default: all)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    seeded = json.loads(Path(args.pages).read_text())
    pages, agent = seeded["pages"], seeded["user_agent"]
    # The plumbing alone: a signed-in page that runs no query of its own (the reader's session, a static page).
    pages["signed-in static"] = {"path": "/accessibility", "cookie": pages["lesson"]["cookie"]}
    app = create_app()
    client = app.test_client()

    def view(page: dict[str, str]) -> None:
        name, value = page["cookie"].split("=", 1)
        client.set_cookie(name, value)  # as the browser holds it: the response sets nothing new
        response = client.get(page["path"], headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.status_code == 200, (page["path"], response.status_code)
        assert "Set-Cookie" not in response.headers, (page["path"], "the view changed the session")

    for name, page in pages.items():
        for _ in range(20):
            view(page)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.views):
            view(page)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{name:12} {1000 * cpu / args.views:6.2f} ms of CPU per view, {1000 * wall / args.views:6.2f} ms wall "
              f"({page['path']})")
    _time_bare(args.views)
    if args.no_profile:
        return
    chosen = {name: page for name, page in pages.items() if not args.page or name in args.page}
    profile = cProfile.Profile()
    profile.enable()
    for page in chosen.values():
        for _ in range(args.views):
            view(page)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(f"\nprofile of {', '.join(chosen)}, {args.views} views each:")
    print(out.getvalue())


def _time_bare(views: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from bare_app import app as bare

    client = bare.test_client()
    for _ in range(20):
        client.get("/")
    cpu = time.process_time()
    for _ in range(views):
        assert client.get("/").status_code == 200
    print(f"{'bare page':12} {1000 * (time.process_time() - cpu) / views:6.2f} ms of CPU per view")


if __name__ == "__main__":
    main()
