"""Several app servers (issue 10, point 4): the README's production recipe started here
(bench/cluster: nginx with TLS in front of two gunicorn instances of the production
configuration, one PostgreSQL database, one Redis database, one upload directory), and
what a participant or an attacker sees when requests land on either instance.

Marked `cluster`: they run in the PostgreSQL pass only (tests/conftest.py deselects them
on SQLite), on a database of their own next to TEST_DATABASE_URL's, and need Redis and
nginx; with KPJKU_REQUIRE_SERVICES=1 a missing one fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

from bench.cluster import checks
from bench.cluster.cluster import NGINX, Cluster
from tests.conftest import missing_service

pytestmark = pytest.mark.cluster

# A database number of its own: the checks empty it.
REDIS_URL = os.environ.get("KPJKU_CLUSTER_REDIS", "redis://127.0.0.1:6379/13")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    test_url = sa.make_url(os.environ["TEST_DATABASE_URL"])
    if not NGINX.exists():
        missing_service(f"nginx is not installed at {NGINX} (apt-get install nginx)")
    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        store.ping()
    except redis.RedisError as error:
        missing_service(f"Redis at {REDIS_URL} is unreachable: {error}")
    finally:
        store.close()
    running = Cluster.start(test_url.render_as_string(hide_password=False),
                            f"{test_url.database}_cluster", REDIS_URL)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def no_counts(cluster: Cluster) -> None:
    cluster.reset_limits()


def test_a_session_started_on_one_instance_works_on_the_other(cluster):
    seen = checks.sessions(cluster)
    assert seen.login_on_a == 303
    assert seen.beranda_on_b == 200 and seen.beranda_on_b_names_the_user


def test_a_logout_on_one_instance_ends_the_session_on_both(cluster):
    seen = checks.sessions(cluster)
    assert seen.copy_on_a_before_logout == 200  # the copy worked until the logout
    assert seen.logout_on_b == 303
    assert seen.copy_on_a_after_logout == "login page"
    assert seen.copy_on_b_after_logout == "login page"


def test_the_login_limit_is_counted_once_for_every_instance(cluster):
    seen = checks.login_limits(cluster)
    assert seen.limit == 10  # config.py LOGIN_LIMIT: refused attempts per address
    assert [status for _, status in seen.statuses[:10]] == [422] * 10
    # The 11th and 12th attempts, one on each instance: each instance alone saw only 6.
    assert seen.statuses[10:] == [("A", 429), ("B", 429)]
    assert seen.other_address == 422


def test_behind_nginx_a_forged_forwarded_for_buys_no_attempts(cluster):
    seen = checks.login_limits(cluster)
    assert seen.through_nginx_spoofed == [422] * 10 + [429]


def test_documents_uploaded_to_one_instance_are_served_by_the_other(cluster):
    seen = checks.uploads(cluster)
    assert seen.submitted_on_a == 303
    assert seen.documents_listed_on_b == 3
    assert seen.served_by_b == [200, 200, 200] and seen.same_bytes


def test_killing_an_instance_under_load_loses_no_committed_transaction(cluster):
    seen = checks.failover(cluster, total=2000)
    print("\n".join(seen.lines()))
    assert seen.requests >= 1990  # a login whose form failed sends no POST
    assert seen.reads_ok > 500 and seen.reads_lost == 0
    assert seen.logins_ok <= seen.sessions_created <= seen.logins_ok + seen.logins_cut
    # GETs on A when it died were answered by B (nginx retried them). Only a POST that nginx
    # had sent to A may fail, and it was not sent again: one in flight when A died, or one
    # written, in the instant after, on a kept-alive connection to A not yet seen closed.
    # A GET whose answer A had begun to send when it died cannot be retried (nginx has
    # passed part of it on): the client's connection is closed, no answer (status 0).
    cut_gets = [call for call in seen.failed if call.method == "GET"]
    assert all(call.status == 0 for call in cut_gets)
    assert len(seen.failed) == seen.failed_posts_sent_once_to_a + len(cut_gets)
    assert all(call.status == 502 for call in seen.failed if call.method == "POST")
    assert seen.started_after_kill > 1000 and seen.failed_a_second_after_kill == 0
    assert seen.last_upstreams["B"] >= seen.started_after_kill - seen.failed_after_kill
    # A is back: nginx sends to both again once its fail_timeout has passed.
    assert cluster.browser().get(cluster.instances[0], "/sehat").status == 200
