"""/siap: readiness. Can this process serve pages now, with its database and its Redis?

/sehat (webapp/main) is liveness: the process answers, whatever its services do; a load
balancer or nginx health check asks /siap before it sends traffic. Each service is asked
once (SELECT 1, PING), in parallel, and given CHECK_TIMEOUT seconds: a service that does
not answer in time counts as down, so the check itself never hangs.

The answer names each service and its state, never a host, a URL or an error's text
(which may carry either); the log line says which exception it was."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify

from webapp.extensions import db, limiter

if TYPE_CHECKING:
    import redis

CHECK_TIMEOUT = 1.0
OK = "ok"
DOWN = "gagal"
TIMED_OUT = "tidak menjawab"
NOT_USED = "not used"
REDIS_SCHEMES = {"redis", "rediss", "unix"}

bp = Blueprint("readiness", __name__)
log = logging.getLogger(__name__)
_redis_clients: dict[str, redis.Redis] = {}
_redis_lock = threading.Lock()
_running: dict[Hashable, threading.Thread] = {}
_running_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/siap")
@limiter.exempt
def siap():
    engine = db.engine
    url = redis_url()
    checks: dict[str, Check | None] = {
        "database": Check(engine.url, lambda: _ping_database(engine)),
        "redis": Check(url, lambda: _ping_redis(url)) if url else None,
    }
    states = run_checks(checks)
    ready = all(state in (OK, NOT_USED) for state in states.values())
    response = jsonify({"status": "siap" if ready else "tidak siap", **states})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def redis_url() -> str | None:
    """The Redis the app depends on: REDIS_URL, else the rate limiter's store when that is
    a Redis; None when the app uses no Redis (memory:// limits, as in development)."""
    config = current_app.config
    for url in (config.get("REDIS_URL"), config.get("RATELIMIT_STORAGE_URI")):
        if url and urlsplit(url).scheme in REDIS_SCHEMES:
            return url
    return None


class Check(NamedTuple):
    target: Hashable  # the service asked: one check of it at a time
    ping: Callable[[], None]


def run_checks(checks: dict[str, Check | None]) -> dict[str, str]:
    """Each check in a thread of its own, all at once; each one's state after at most
    CHECK_TIMEOUT seconds. A check still waiting then is left to its driver's timeouts, in
    a daemon thread that holds nothing the request needs; while it waits, the same service
    counts as not answering without another thread being started, so a hung service
    never piles up threads however often it is asked."""
    states = {name: NOT_USED for name, check in checks.items() if check is None}
    threads = {}
    for name, check in checks.items():
        if check is None:
            continue
        with _running_lock:
            waiting = _running.get(check.target)
            if waiting is not None and waiting.is_alive():
                states[name] = TIMED_OUT
                continue
            thread = threading.Thread(
                target=_run, args=(name, check.ping, states), name=f"siap-{name}", daemon=True
            )
            _running[check.target] = thread
        thread.start()
        threads[name] = thread
    deadline = time.monotonic() + CHECK_TIMEOUT
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("Readiness: %s did not answer within %s s", name, CHECK_TIMEOUT)
            states[name] = TIMED_OUT
    for name, state in states.items():
        if state == TIMED_OUT and name not in threads:
            log.warning("Readiness: %s has still not answered an earlier check", name)
    return {name: states[name] for name in checks}


def _run(name: str, ping: Callable[[], None], states: dict[str, str]) -> None:
    try:
        ping()
    except Exception as error:  # whatever it is, the service is not usable
        log.warning("Readiness: %s is down: %s", name, type(error).__name__)
        states.setdefault(name, DOWN)
    else:
        states.setdefault(name, OK)


def _ping_database(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def _ping_redis(url: str) -> None:
    _redis_client(url).ping()


def _redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL and process, not a connection per check."""
    import redis  # only where a Redis is used

    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            # Longer than the check's own budget: the check has given up before the client,
            # which then frees its thread.
            client = redis.Redis.from_url(
                url, socket_connect_timeout=2 * CHECK_TIMEOUT, socket_timeout=2 * CHECK_TIMEOUT
            )
            _redis_clients[url] = client
        return client
