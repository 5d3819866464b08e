"""Lighthouse on the pages a participant opens: Masuk, Beranda, Profil, Tambah KPJ and the
card pages, with Lighthouse's mobile emulation (a mid-range phone on slow 4G, simulated)
in Debian's Chromium. Prints the four category scores and the largest contentful paint
per page; the target is 100 everywhere and LCP at most 1.0 s.

It builds a fresh temporary SQLite database with the demo data (as bench/pages_bench.py
does), serves it with gunicorn, signs in as the demo participant through the real form and
hands Lighthouse the session cookie. Lighthouse comes from the npm registry into build/node/
(gitignored) on the first run.

    .venv/bin/python bench/lighthouse.py [--runs 1] [--keep-reports DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages_bench  # noqa: E402  (the same database, server and login)

ROOT = pages_bench.ROOT
LIGHTHOUSE_VERSION = "12.8.2"  # the last major that runs on Node 20
NODE_DIR = ROOT / "build" / "node"
LIGHTHOUSE = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("KPJKU_CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LCP_TARGET_MS = 1000


def install_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
         f"lighthouse@{LIGHTHOUSE_VERSION}"],
        check=True,
    )


def lighthouse(url: str, cookie: str, report_path: Path | None) -> dict:
    command = [
        str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
        "--form-factor=mobile", f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    result = subprocess.run(
        command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse {url} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    if report_path:
        report_path.write_text(result.stdout)
    return json.loads(result.stdout)


def summary(report: dict) -> dict:
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    scores["lcp"] = report["audits"]["largest-contentful-paint"]["numericValue"]
    # What kept a category from 100, to act on.
    scores["missed"] = [
        audit_id
        for name in CATEGORIES
        for ref in report["categories"][name]["auditRefs"]
        if ref["weight"] > 0
        and (audit := report["audits"][ref["id"]])["score"] is not None
        and audit["score"] < 1
        for audit_id in [f"{name}:{ref['id']}"]
    ]
    return scores


def start_server(env: dict[str, str], port: int, workers: int, threads: int):
    """gunicorn with threaded workers, which keep a connection open between requests (as
    the reverse proxy in front of production does); the sync worker closes each one."""
    gunicorn = pages_bench.BIN / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "--threads", str(threads), "--keep-alive", "5",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env,
    )
    pages_bench.wait_until_serving(server, port)
    return server


def warm_up(port: int, pages: list[tuple[str, str, str]]) -> None:
    """Each page once per worker thread first: a cold worker's first answer (imports, query
    compilation) is not what a visitor waits for."""
    for _, path, cookie in pages * 8:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        pages_bench.request(conn, path, cookie)
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median run (by LCP) is shown")
    parser.add_argument("--keep-reports", type=Path, help="write each JSON report into this folder")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker (gthread: keeps connections alive, as a proxy would)")
    parser.add_argument("--only", nargs="*", help="measure only these pages (e.g. Masuk Beranda)")
    args = parser.parse_args()
    install_lighthouse()

    workdir = Path(tempfile.mkdtemp(prefix="kpjku-lighthouse-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
           "KPJKU_CONFIG": "development"}
    env.pop("ASSETS_AUTO_RELOAD", None)
    server = None
    if args.keep_reports:
        args.keep_reports.mkdir(parents=True, exist_ok=True)
    failures = 0
    try:
        pages_bench.build_database(env)
        port = pages_bench.free_port()
        server = start_server(env, port, args.workers, args.threads)
        cookie = pages_bench.log_in(port)
        card = pages_bench.demo_card(port, cookie)
        pages = [
            ("Masuk", "/masuk", ""),
            ("Beranda", "/", cookie),
            ("Profil", "/profil", cookie),
            ("Tambah KPJ", "/pengaturan/tambah-kpj", cookie),
            ("Kartu (saldo)", f"/kartu/{card}", cookie),
            ("Kartu digital", "/kartu-digital", cookie),
        ]
        print(f"Lighthouse {LIGHTHOUSE_VERSION}, mobile emulation (simulated slow 4G, 4x CPU), "
              f"{CHROMIUM}, gunicorn -w {args.workers} --threads {args.threads}, demo data")
        print(f"{'page':<16}{'perf':>6}{'a11y':>6}{'best':>6}{'seo':>6}{'LCP s':>8}  audits below 100 (median run)")
        if args.only:
            pages = [page for page in pages if page[0] in args.only]
        warm_up(port, pages)
        for name, path, page_cookie in pages:
            runs = []
            for run in range(args.runs):
                report_path = None
                if args.keep_reports:
                    slug = name.lower().replace(" ", "-").replace("(", "").replace(")", "")
                    report_path = args.keep_reports / f"{slug}-{run + 1}.json"
                runs.append(summary(lighthouse(f"http://127.0.0.1:{port}{path}", page_cookie, report_path)))
            runs.sort(key=lambda scores: scores["lcp"])
            median = runs[len(runs) // 2]
            lcps = "/".join(f"{scores['lcp'] / 1000:.2f}" for scores in runs)
            print(f"{name:<16}" + "".join(f"{median[c]:>6}" for c in CATEGORIES)
                  + f"{median['lcp'] / 1000:>8.2f}  {' '.join(median['missed']) or '-'}  (LCP of each run: {lcps})")
            if any(median[c] < 100 for c in CATEGORIES) or median["lcp"] > LCP_TARGET_MS:
                failures += 1
    finally:
        if server is not None:
            pages_bench.stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"target: 100 in every category, LCP <= {LCP_TARGET_MS / 1000:.1f} s: "
          f"{'met on every page' if not failures else f'missed on {failures} page(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
