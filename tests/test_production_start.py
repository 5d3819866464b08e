"""`gunicorn wsgi:app` starts production, and production refuses to start half-configured;
the development configuration (a public key) needs KPJKU_CONFIG=development."""

import pytest

from config import CONFIGS, DevelopmentConfig, ProductionConfig, config_named
from tests.startup import environment, run_python, sqlite_url

DESCRIBE_APP = """
import wsgi
response = wsgi.app.test_client().get("/sehat", base_url="https://localhost")
print("secret", wsgi.app.config["SECRET_KEY"])
print("secure cookies", wsgi.app.config["SESSION_COOKIE_SECURE"])
print("hsts", response.headers.get("Strict-Transport-Security"))
"""


@pytest.mark.startup
def test_without_any_configuration_wsgi_refuses_to_start_and_names_secret_key():
    started = run_python("import wsgi", environment())
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stderr
    assert "dev-only-not-secret" not in started.stdout + started.stderr


@pytest.mark.startup
def test_with_a_secret_key_but_no_database_wsgi_names_database_url():
    started = run_python("import wsgi", environment(SECRET_KEY="s" * 32))
    assert started.returncode != 0
    assert "DATABASE_URL is not set" in started.stderr


@pytest.mark.startup
def test_with_both_wsgi_starts_production(tmp_path):
    env = environment(
        SECRET_KEY="s" * 32, DATABASE_URL=sqlite_url(tmp_path), RATELIMIT_STORAGE_URI="memory://"
    )
    started = run_python(DESCRIBE_APP, env)
    assert started.returncode == 0, started.stderr
    assert "secret " + "s" * 32 in started.stdout
    assert "secure cookies True" in started.stdout
    assert "hsts max-age=31536000; includeSubDomains" in started.stdout


@pytest.mark.startup
def test_development_needs_to_be_asked_for(tmp_path):
    env = environment(KPJKU_CONFIG="development", DATABASE_URL=sqlite_url(tmp_path))
    started = run_python(DESCRIBE_APP, env)
    assert started.returncode == 0, started.stderr
    assert f"secret {DevelopmentConfig.SECRET_KEY}" in started.stdout
    assert "secure cookies False" in started.stdout
    assert "hsts None" in started.stdout


@pytest.mark.startup
def test_an_unknown_configuration_name_is_an_error_not_development(tmp_path):
    env = environment(KPJKU_CONFIG="prod", DATABASE_URL=sqlite_url(tmp_path))
    started = run_python(DESCRIBE_APP, env)
    assert started.returncode != 0
    assert "KPJKU_CONFIG='prod' is not a configuration" in started.stderr
    assert "dev-only-not-secret" not in started.stdout + started.stderr


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "s"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://kpjku@db/kpjku"}, "SECRET_KEY"),
    ],
)
def test_production_check_reads_the_environment_when_it_runs(monkeypatch, present, missing):
    for name in ProductionConfig.REQUIRED_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=f"^{missing} is not set"):
        ProductionConfig.check()


def test_production_check_passes_with_both(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://kpjku@db/kpjku")
    ProductionConfig.check()


@pytest.mark.parametrize("name", ["", "Production", "dev", "testing "])
def test_config_named_refuses_unknown_names(name):
    with pytest.raises(RuntimeError, match="is not a configuration"):
        config_named(name)
    assert all(config_named(known) is CONFIGS[known] for known in CONFIGS)
