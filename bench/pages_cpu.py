"""In-process time per request (issue 10, point 1): the pages of bench/pages_bench.py,
through Werkzeug's test client on the production configuration, as milliseconds of this
process's CPU per request (or, with --clock wall, of wall time, one request at a time, which
counts the database server's work too) and as a multiple of a bare Flask hello app's,
measured in the same run. CPU time, unlike wall-clock throughput, holds on a loaded machine.

    .venv/bin/python bench/pages_cpu.py [-n 100] [--rounds 10] [--clock cpu|wall] [--url DB] [--profile Beranda]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pages_bench  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="this process's CPU time, or wall time, which includes the database "
                             "server's (PostgreSQL plans and runs statements in its own process)")
    parser.add_argument("--profile", help="a target's name: print its cProfile instead")
    parser.add_argument("--url", help="an existing database (else a fresh SQLite one)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kpjku-pages-cpu-"))
    url = args.url or f"sqlite:///{workdir / 'bench.sqlite'}"
    # Before anything imports config (which reads the environment once).
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
                       "RATELIMIT_STORAGE_URI": "memory://", "UPLOAD_DIR": str(workdir / "uploads")})
    if not args.url:
        pages_bench.build_database(url)
    import logging

    from hello_app import app as hello

    from webapp import create_app

    app = create_app("production")
    logging.getLogger().setLevel(logging.ERROR)
    client = app.test_client()
    # Production cookies are Secure: the test client sends them over https only.
    for who in (client, anonymous := app.test_client(), hello_client := hello.test_client()):
        who.environ_base["wsgi.url_scheme"] = "https"
    body = client.get("/masuk").get_data(as_text=True)
    token = pages_bench.CSRF_INPUT.search(body).group(1)
    answer = client.post("/masuk", data={"email": pages_bench.DEMO_EMAIL, "password": pages_bench.DEMO_PASSWORD,
                                         "csrf_token": token},
                         headers={"Referer": "https://localhost/masuk"})
    assert answer.status_code == 303, answer.status_code
    page = client.get("/").get_data(as_text=True)
    card = re.search(r'href="/kartu/([A-Za-z0-9_-]+)">\s*<div class="row"><span class="kpj__number">99', page).group(1)
    targets = [(name, hello_client if server == "hello" else client if cookie else anonymous,
                path.format(card=card)) for name, server, path, cookie in pages_bench.TARGETS]
    for name, who, path in targets:
        for _ in range(20):  # warm-up
            assert who.get(path).status_code == 200, (name, path)
        if args.profile and args.profile == name:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                who.get(path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            return 0
    # Rounds go through every target in turn, and each target keeps its fastest round: a
    # busy neighbour on a shared machine slows whichever target is running, not one target
    # throughout.
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    results = {name: float("inf") for name, _, _ in targets}
    for _ in range(args.rounds):
        for name, who, path in targets:
            start = clock()
            for _ in range(args.n):
                who.get(path)
            results[name] = min(results[name], (clock() - start) / args.n * 1000)
    base = results[targets[0][0]]
    print(f"| target | {'CPU' if args.clock == 'cpu' else 'wall'} ms/request | × hello |")
    print("|---|---:|---:|")
    for name, ms in results.items():
        print(f"| {name} | {ms:.3f} | {ms / base:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
