"""Run Python code in a fresh process, as gunicorn or the flask command would start the app.

A second app built in the test process would rebind the shared extension singletons (the
limiter above all), and a configuration class reads the environment when it is imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config import BASE_DIR

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
