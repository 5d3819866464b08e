"""Operations: readiness (/siap), JSON logs with a request id and no personal data, and an
app process that never imports the migration machinery."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from tests import factories, logcheck
from tests.conftest import csrf_token
from tests.querycount import count_queries
from tests.smtp import free_port
from tests.startup import WAITING, environment, fetch, flask, production_gunicorn, run_python
from tests.test_degrade import LOCAL_REDIS, redis_or_skip
from webapp import logs, readiness

NIK = "3171041203850003"
KPJ = "12345678901"
HEX_ID = re.compile(r"[0-9a-f]{32}")


# --- readiness -----------------------------------------------------------------------------


def closed_port() -> int:
    """A local port nothing listens on: a connection there is refused at once."""
    return free_port()


class SilentServer:
    """A port that accepts connections and never says a word: a hung service. Counts the
    connections made to it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()  # the checks still waiting on it give up


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def use_engine(monkeypatch, url: str) -> None:
    engine = sa.create_engine(url)
    monkeypatch.setattr(SQLAlchemy, "engine", property(lambda self: engine))


def test_siap_answers_ready_with_the_database_and_no_redis_in_use(client):
    response = client.get("/siap")
    assert response.status_code == 200
    assert response.get_json() == {"status": "siap", "database": "ok", "redis": "not used"}
    assert response.headers["Cache-Control"] == "no-store"


def test_siap_pings_the_redis_the_limiter_uses(app, client, monkeypatch):
    redis_or_skip()
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", LOCAL_REDIS)
    response = client.get("/siap")
    assert response.status_code == 200
    assert response.get_json() == {"status": "siap", "database": "ok", "redis": "ok"}


def test_siap_loads_no_account_and_sends_only_its_ping(app, client, auth):
    person = factories.person()
    factories.account(person, factories.membership(person), email="budi@contoh.id")
    assert auth.login("budi@contoh.id").status_code == 303
    with count_queries() as queries:
        response = client.get("/siap")
    assert response.status_code == 200
    assert queries.statements == ["SELECT 1"]
    assert "Cookie" not in response.headers.get("Vary", "")


def test_siap_is_503_when_the_database_refuses(app, client, monkeypatch):
    port = closed_port()
    use_engine(monkeypatch, f"postgresql+psycopg://kpjku:rahasia@127.0.0.1:{port}/kpjku")
    response = client.get("/siap")
    assert response.status_code == 503
    assert response.get_json() == {"status": "tidak siap", "database": "gagal", "redis": "not used"}
    body = response.get_data(as_text=True)
    assert "127.0.0.1" not in body and str(port) not in body and "rahasia" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_siap_gives_a_hung_database_one_second(app, client, monkeypatch, silent_server):
    use_engine(monkeypatch, f"postgresql+psycopg://kpjku@127.0.0.1:{silent_server.port}/kpjku")
    started = time.monotonic()
    response = client.get("/siap")
    assert time.monotonic() - started < readiness.CHECK_TIMEOUT + 3  # not the driver's own wait
    assert response.status_code == 503
    assert response.get_json()["database"] == "tidak menjawab"


def test_siap_is_503_when_redis_is_down(app, client, monkeypatch):
    port = closed_port()
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", f"redis://:rahasia@127.0.0.1:{port}/0")
    response = client.get("/siap")
    assert response.status_code == 503
    assert response.get_json() == {"status": "tidak siap", "database": "ok", "redis": "gagal"}
    body = response.get_data(as_text=True)
    assert str(port) not in body and "rahasia" not in body


def test_siap_gives_a_hung_redis_one_second(app, client, monkeypatch, silent_server):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{silent_server.port}/0")
    started = time.monotonic()
    response = client.get("/siap")
    assert time.monotonic() - started < readiness.CHECK_TIMEOUT + 3  # not the driver's own wait
    assert response.status_code == 503
    assert response.get_json() == {"status": "tidak siap", "database": "ok", "redis": "tidak menjawab"}


def test_a_hung_service_is_waited_on_by_one_thread_however_often_siap_is_asked(
    app, client, monkeypatch, silent_server
):
    use_engine(monkeypatch, f"postgresql+psycopg://kpjku@127.0.0.1:{silent_server.port}/kpjku")
    answers = [client.get("/siap") for _ in range(3)]
    assert [answer.get_json()["database"] for answer in answers] == ["tidak menjawab"] * 3
    assert len(silent_server.accepted) == 1


def test_sehat_stays_a_liveness_check_without_the_database(app, client, monkeypatch):
    use_engine(monkeypatch, f"postgresql+psycopg://kpjku@127.0.0.1:{closed_port()}/kpjku")
    assert client.get("/sehat").status_code == 200
    assert client.get("/siap").status_code == 503


# --- logs ----------------------------------------------------------------------------------


@pytest.fixture
def log_lines(app) -> Iterator[io.StringIO]:
    """The JSON lines every logger writes while the test runs, unmasked: what the code
    itself logs."""
    stream = io.StringIO()
    handler = logs.json_handler(logging.StreamHandler(stream), mask=False)
    root, app_logger = logging.getLogger(), logging.getLogger("webapp")
    level = app_logger.level
    app_logger.setLevel(logging.INFO)
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    app_logger.setLevel(level)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict]:
    return [line for line in records(stream) if line["logger"] == logs.ACCESS_LOGGER]


def test_one_json_access_line_per_request_with_its_fields(client, log_lines):
    response = client.get("/masuk?next=/profil")
    (line,) = access_lines(log_lines)
    assert set(line) == {"ts", "level", "logger", "msg", "request_id", "method", "path",
                         "status", "duration_ms"}
    assert line["msg"] == "request" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/masuk", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["ts"])


def test_a_request_gets_a_new_id_each_time(client):
    first = client.get("/sehat").headers["X-Request-ID"]
    second = client.get("/sehat").headers["X-Request-ID"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second


def test_a_plain_incoming_request_id_is_kept(client, log_lines):
    response = client.get("/sehat", headers={"X-Request-ID": "nginx-4f2a.9_B"})
    assert response.headers["X-Request-ID"] == "nginx-4f2a.9_B"
    assert access_lines(log_lines)[0]["request_id"] == "nginx-4f2a.9_B"


@pytest.mark.parametrize(
    "incoming", ["a" * 65, "id dengan spasi", 'x"}{"level":"ERROR', "id/../x", KPJ, f"req-{NIK}"]
)
def test_an_unfit_incoming_request_id_is_replaced(client, incoming):
    assert HEX_ID.fullmatch(client.get("/sehat", headers={"X-Request-ID": incoming}).headers["X-Request-ID"])


def test_every_line_of_a_request_carries_its_id(client, log_lines):
    # Refused by webapp/input_guard.py, which logs a warning before the access line.
    response = client.get("/masuk?next=%00")
    lines = records(log_lines)
    assert [line["logger"] for line in lines] == ["webapp", logs.ACCESS_LOGGER]
    assert {line["request_id"] for line in lines} == {response.headers["X-Request-ID"]}
    assert lines[0]["level"] == "WARNING" and lines[0]["path"] == "/masuk"


def test_a_nik_in_the_query_string_and_the_form_is_not_logged(client, log_lines):
    token = csrf_token(client, "/masuk")
    hostile = {NIK: "\x00"}  # refused by input_guard, which logs where, never what
    client.post(f"/masuk?nik={NIK}&kpj={KPJ}", data={"email": NIK, "password": KPJ, "csrf_token": token})
    client.post(f"/daftar?nik={NIK}", data={"nik": NIK, "kpj": KPJ, "mother_name": "Sri Wahyuni",
                                            "csrf_token": token})
    client.get("/lupa-kata-sandi", query_string=hostile)
    text = log_lines.getvalue()
    assert [line["status"] for line in access_lines(log_lines)][0] == 200  # the form itself
    assert len(access_lines(log_lines)) == 4
    assert any(line["level"] == "WARNING" for line in records(log_lines))  # the refusal
    assert NIK not in text and KPJ not in text and "nik=" not in text
    assert logcheck.offending_lines(text.splitlines()) == []


def test_the_mask_hides_long_numbers_in_messages_arguments_and_tracebacks(app):
    stream = io.StringIO()
    logger = logging.getLogger("webapp.test_operations")
    handler = logs.json_handler(logging.StreamHandler(stream))
    logger.addHandler(handler)
    try:
        logger.warning("KPJ %s, NIK %s, kode 1234567890", KPJ, NIK)
        try:
            raise ValueError(f"NIK {NIK} tidak ditemukan")
        except ValueError:
            logger.exception("gagal untuk %s", {"nik": NIK})
    finally:
        logger.removeHandler(handler)
    first, second = records(stream)
    assert first["msg"] == f"KPJ {logs.MASK}, NIK {logs.MASK}, kode 1234567890"
    assert second["msg"] == f"gagal untuk {{'nik': '{logs.MASK}'}}"
    assert "ValueError" in second["exc"] and NIK not in stream.getvalue()


def test_logcheck_flags_a_planted_nik_kpj_and_mothers_name():
    clean = json.dumps({"ts": "2026-11-24T21:00:00.000+00:00", "msg": "request",
                        "request_id": "0123456789abcdef0123456789abcdef", "duration_ms": 12.34})
    lines = [
        clean,
        json.dumps({"msg": f"Tambah KPJ untuk NIK {NIK}"}),
        json.dumps({"msg": f"kpj={KPJ}"}),
        json.dumps({"msg": "ibu kandung: sri  wahyuni"}),
        json.dumps({"msg": "Sriwahyuningsih bukan nama di data demo"}),
    ]
    found = logcheck.offending_lines(lines, "uji.jsonl")
    assert [problem.split(":")[:2] for problem in found] == [["uji.jsonl", "2"], ["uji.jsonl", "3"],
                                                             ["uji.jsonl", "4"]]
    assert "mother's name" in found[2] and "11 or more digits" in found[0]


def test_logcheck_knows_the_demos_mothers_names():
    names = {name.upper() for name in logcheck.mothers_names()}
    assert {"SRI WAHYUNI", "NURHAYATI", "LILIS SURYANI", "NURHAYTI", "LILIS SURIANI"} <= names


# --- the app process -----------------------------------------------------------------------

START_AND_SERVE = f"""
import json, sys
import wsgi
loaded = sorted(name for name in ("alembic", "flask_migrate") if name in sys.modules)
client = wsgi.app.test_client()
response = client.get("/sehat?nik={NIK}", headers={{"X-Request-ID": "uji-1"}})
refused = client.get("/masuk?next=%00", headers={{"X-Request-ID": "uji-2"}})  # the app logs a warning
print(json.dumps({{"loaded": loaded, "status": [response.status_code, refused.status_code]}}))
"""


@pytest.mark.startup
@pytest.mark.parametrize("config", ["production", "development"])
def test_the_app_process_logs_json_and_never_imports_the_migrations(tmp_path, config):
    env = environment(KPJKU_CONFIG=config, SECRET_KEY="s" * 32, RATELIMIT_STORAGE_URI="memory://",
                      DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite'}")
    started = run_python(START_AND_SERVE, env)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == {"loaded": [], "status": [200, 400]}
    lines = [json.loads(line) for line in started.stderr.splitlines()]  # every line is JSON
    assert [(line["logger"], line["request_id"], line["path"], line.get("status")) for line in lines] == [
        (logs.ACCESS_LOGGER, "uji-1", "/sehat", 200),
        ("webapp", "uji-2", "/masuk", None),
        (logs.ACCESS_LOGGER, "uji-2", "/masuk", 400),
    ]
    assert NIK not in started.stderr


@pytest.mark.startup
def test_flask_db_still_runs_the_migrations(tmp_path):
    env = environment(KPJKU_CONFIG="development", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgraded = flask("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    current = flask("db", "current", env=env)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
    listed = flask("db", "--help", env=env)
    assert "upgrade" in listed.stdout and "downgrade" in listed.stdout


@pytest.mark.startup
def test_under_gunicorn_every_line_is_json_and_each_request_is_logged_once(tmp_path):
    with production_gunicorn(tmp_path, workers=1) as served:
        answers = [fetch(served.url(f"/sehat?nik={NIK}"), "uji-gunicorn")[:2],
                   fetch(served.url("/siap"), "uji-siap")[:2]]
    stdout, stderr = served.stdout, served.stderr
    assert answers == [(200, "uji-gunicorn"), (200, "uji-siap")]
    assert served.process.returncode == 0, stderr
    assert stdout == ""
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["msg"] for line in lines)
    access = [(line["request_id"], line["path"]) for line in lines
              if line["logger"] == logs.ACCESS_LOGGER and line["request_id"] != WAITING]
    assert access == [("uji-gunicorn", "/sehat"), ("uji-siap", "/siap")]
    assert NIK not in stderr


def test_the_development_servers_request_lines_are_left_to_the_access_line():
    def record(message: str, *args: str) -> logging.LogRecord:
        return logging.LogRecord("werkzeug", logging.INFO, "serving.py", 1, message, args, None)

    request_line = record('127.0.0.1 - - [24/Nov/2026 21:00:00] "%s" %s %s\n',
                          f"GET /masuk?nik={NIK} HTTP/1.1", "200", "-")
    banner = record(" * Running on http://127.0.0.1:5000")
    keep = logs.DevServerRequestLines().filter
    assert not keep(request_line) and keep(banner)
