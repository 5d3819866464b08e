"""gunicorn.conf.py: production is served by it as written (threaded workers, the reasons
in the file), and its values follow the environment."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from config import BASE_DIR
from tests.startup import environment, run_python, sqlite_url

READ_SETTINGS = """
from gunicorn.config import Config
settings = {}
exec(open("gunicorn.conf.py").read(), settings)
config = Config()
for name in ("bind", "workers", "worker_class", "threads", "timeout", "graceful_timeout",
             "keepalive", "max_requests", "max_requests_jitter", "preload_app"):
    config.set(name, settings[name])
    print(name, config.settings[name].get())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.startup
def test_the_settings_are_valid_to_gunicorn_and_follow_the_environment():
    env = environment(WEB_CONCURRENCY="3", GUNICORN_THREADS="2", GUNICORN_BIND="127.0.0.1:9123")
    read = run_python(READ_SETTINGS, env)
    assert read.returncode == 0, read.stderr
    values = dict(line.split(" ", 1) for line in read.stdout.splitlines())
    assert values["workers"] == "3" and values["threads"] == "2"
    assert values["bind"] == "['127.0.0.1:9123']"
    assert values["worker_class"] == "gthread" and values["preload_app"] == "False"
    assert int(values["timeout"]) == 30 and int(values["max_requests"]) == 20000


@pytest.mark.startup
def test_production_is_served_through_it(tmp_path):
    port = free_port()
    env = environment(
        SECRET_KEY="s" * 32, DATABASE_URL=sqlite_url(tmp_path), RATELIMIT_STORAGE_URI="memory://",
        WEB_CONCURRENCY="2", GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    server = subprocess.Popen(gunicorn, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        answer = None
        deadline = time.monotonic() + 30
        while answer is None and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sehat", timeout=2) as response:
                    answer = (response.status, response.read())
            except OSError:
                time.sleep(0.2)
        assert answer == (200, b"ok")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Using worker: gthread" in output
