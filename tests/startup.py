"""Run Python code in a fresh process, as gunicorn or the flask command would start the app.

A second app built in the test process would rebind the shared extension singletons (the
limiter above all), and a configuration class reads the environment when it is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from config import BASE_DIR
from tests.smtp import free_port

# What the machine's environment must not decide for these tests.
APP_VARIABLES = ("KPJKU_CONFIG", "SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI",
                 "TRUSTED_PROXIES", "TEST_DATABASE_URL")


def environment(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in APP_VARIABLES}
    env["PYTHONPATH"] = str(BASE_DIR)
    env.update(variables)
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=timeout,
    )


def flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, timeout=60,
    )


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'kpjku.sqlite'}"


# The request id of the requests that wait for gunicorn to answer, for a test to tell them
# from its own in the access log.
WAITING = "menunggu"


@dataclass
class Served:
    """A production gunicorn (gunicorn.conf.py) on a port; its output once it has stopped."""

    port: int
    process: subprocess.Popen
    stdout: str = field(default="")
    stderr: str = field(default="")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def production_gunicorn(directory: Path, workers: int) -> Iterator[Served]:
    """gunicorn -c gunicorn.conf.py wsgi:app on SQLite in directory, once /sehat answers;
    stopped (SIGTERM) on leaving, with its output kept."""
    port = free_port()
    env = environment(
        SECRET_KEY="s" * 32, DATABASE_URL=sqlite_url(directory), RATELIMIT_STORAGE_URI="memory://",
        WEB_CONCURRENCY=str(workers), GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    served = Served(port, subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True))
    try:
        deadline = time.monotonic() + 30
        while True:
            assert served.process.poll() is None, served.process.communicate()
            try:
                fetch(served.url("/sehat"), WAITING)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer /sehat within 30 s"
                time.sleep(0.2)
        yield served
    finally:
        served.process.terminate()
        served.stdout, served.stderr = served.process.communicate(timeout=30)


def fetch(url: str, request_id: str) -> tuple[int, str, bytes]:
    """The status, the X-Request-ID answered and the body of a GET sent with that id."""
    request = urllib.request.Request(url, headers={"X-Request-ID": request_id})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers["X-Request-ID"], response.read()
