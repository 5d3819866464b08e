"""gunicorn.conf.py: production is served by it as written (threaded workers, the reasons
in the file), and its values follow the environment."""

from __future__ import annotations


import pytest

from tests.startup import environment, fetch, production_gunicorn, run_python

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


@pytest.mark.startup
def test_the_settings_are_valid_to_gunicorn_and_follow_the_environment():
    env = environment(WEB_CONCURRENCY="3", GUNICORN_THREADS="2", GUNICORN_BIND="127.0.0.1:9123")
    read = run_python(READ_SETTINGS, env)
    assert read.returncode == 0, read.stderr
    values = dict(line.split(" ", 1) for line in read.stdout.splitlines())
    assert values["workers"] == "3" and values["threads"] == "2"
    assert values["bind"] == "['127.0.0.1:9123']"
    assert values["worker_class"] == "gthread" and values["preload_app"] == "False"
    assert int(values["timeout"]) == 30 and int(values["max_requests"]) == 200000


@pytest.mark.startup
def test_production_is_served_through_it(tmp_path):
    with production_gunicorn(tmp_path, workers=2) as served:
        status, _, body = fetch(served.url("/sehat"), "uji")
    assert (status, body) == (200, b"ok")
    assert served.process.returncode == 0, served.stderr
    assert "Using worker: gthread" in served.stderr
