"""Run the README's production recipe here and show what several app servers must do.

    .venv/bin/python bench/cluster/run.py [--admin-url URL] [--database NAME] [--redis URL]
                                          [--requests 2000] [--keep]

Starts nginx (TLS, self-signed) in front of two gunicorn instances (production
configuration, gunicorn.conf.py) on a fresh PostgreSQL database with the demo loaded and a
Redis database it empties, then prints: a session moving between the instances and its
logout ending it on both, the login limit shared through Redis, a claim's documents
uploaded to one instance and served by the other, and a load of mixed requests through
nginx during which one instance is SIGKILLed. Exits 1 when a check does not hold."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.cluster import checks  # noqa: E402
from bench.cluster.cluster import Cluster  # noqa: E402

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"


def main() -> int:
    options = arguments()
    started = time.monotonic()
    cluster = Cluster.start(options.admin_url, options.database, options.redis)
    problems: list[str] = []
    try:
        a, b = cluster.instances
        print(f"cluster up in {time.monotonic() - started:.1f} s: nginx https://{cluster.site_host} "
              f"-> A {a.address}, B {b.address}; logs in {cluster.workdir}")
        report_sessions(checks.sessions(cluster), problems)
        report_limits(checks.login_limits(cluster), problems)
        report_uploads(checks.uploads(cluster), problems)
        report_load(checks.failover(cluster, total=options.requests), problems)
        if options.keep:
            input("The cluster is still running; Enter stops it. ")
    finally:
        cluster.stop()
    print()
    print("all checks hold" if not problems else "FAILED:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default=ADMIN_URL,
                        help="a PostgreSQL database to connect to while creating the cluster's")
    parser.add_argument("--database", default="bench_cluster", help="dropped and created afresh")
    parser.add_argument("--redis", default=REDIS_URL, help="a Redis database it may empty")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="wait for Enter before stopping")
    return parser.parse_args()


def check(problems: list[str], holds: bool, what: str) -> None:
    print(f"  [{'ok' if holds else 'NO'}] {what}")
    if not holds:
        problems.append(what)


def report_sessions(result: checks.SessionResult, problems: list[str]) -> None:
    print("\na) b) sessions")
    print(f"  login on A: {result.login_on_a}; Beranda on B: {result.beranda_on_b}; "
          f"a copy of the cookie on A: {result.copy_on_a_before_logout}; "
          f"logout on B: {result.logout_on_b}; the copy afterwards: "
          f"A {result.copy_on_a_after_logout}, B {result.copy_on_b_after_logout}")
    check(problems, result.login_on_a == 303 and result.beranda_on_b == 200
          and result.beranda_on_b_names_the_user, "a session started on A works on B")
    check(problems, result.copy_on_a_before_logout == 200 and result.logout_on_b == 303
          and result.copy_on_a_after_logout == result.copy_on_b_after_logout == "login page",
          "a logout on B ends the session on A and B")


def report_limits(result: checks.LimitResult, problems: list[str]) -> None:
    print(f"\nc) login limit: {result.limit} refused attempts per address (LOGIN_LIMIT)")
    print("  " + ", ".join(f"{name}:{status}" for name, status in result.statuses))
    print(f"  another address on B: {result.other_address}; through nginx with a new "
          f"X-Forwarded-For each time: {result.through_nginx_spoofed}")
    within = [status for _, status in result.statuses[: result.limit]]
    beyond = result.statuses[result.limit:]
    check(problems, set(within) == {422} and {status for _, status in beyond} == {429}
          and {name for name, _ in beyond} == {"A", "B"},
          f"attempt {result.limit + 1} is refused (429) on A and on B")
    check(problems, result.other_address == 422, "another address is not refused")
    check(problems, result.through_nginx_spoofed[-1] == 429
          and set(result.through_nginx_spoofed[:-1]) == {422},
          "a forged X-Forwarded-For does not escape the limit behind nginx")


def report_uploads(result: checks.UploadResult, problems: list[str]) -> None:
    print(f"\nd) uploads: claim filed on A: {result.submitted_on_a}; documents listed on B: "
          f"{result.documents_listed_on_b}; served by B: {result.served_by_b}")
    check(problems, result.submitted_on_a == 303 and result.documents_listed_on_b == 3
          and result.served_by_b == [200, 200, 200] and result.same_bytes,
          "the three documents written by A are served by B, byte for byte")


def report_load(result: checks.LoadResult, problems: list[str]) -> None:
    print("\ne) one instance SIGKILLed during the load")
    for line in result.lines():
        print("  " + line)
    check(problems, result.reads_lost == 0, "no POST answered 303 is missing in the database")
    check(problems, result.logins_ok <= result.sessions_created
          <= result.logins_ok + result.logins_cut,
          "one session per answered login, none from a POST sent twice")
    cut_gets = [call for call in result.failed if call.method == "GET"]
    print(f"  GETs cut mid-answer (A died while sending; nginx cannot retry them): {len(cut_gets)}")
    check(problems, len(result.failed) == result.failed_posts_sent_once_to_a + len(cut_gets)
          and all(call.status == 0 for call in cut_gets),
          "the only failures are POSTs nginx had sent to A and did not re-send, and GETs A "
          "had begun to answer (every other GET was retried)")
    check(problems, result.started_after_kill > 0 and result.failed_a_second_after_kill == 0
          and result.last_upstreams["B"] >= result.started_after_kill - result.failed_after_kill,
          "B answered everything started after the kill; from a second after it, all succeeded")


if __name__ == "__main__":
    sys.exit(main())
