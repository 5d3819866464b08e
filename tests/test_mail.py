"""Outgoing e-mail: delivery to a real SMTP server, failures that stay quiet and keep
personal data out of the log, the development outbox, and SMTP_URL."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import flask_mailman
import pytest

from config import BASE_DIR, smtp_settings
from tests.smtp import free_port
from webapp.devmail.routes import linkify, read_outbox
from webapp.mail import send_mail, wait_for_mail

ADDRESS = "sri.wahyuni@contoh.id"
BODY = "Halo Sri,\nbuka tautan ini: https://kpjku.id/atur-ulang?token=abc\nNIK 3171234567890123"


def test_a_mail_arrives_at_the_smtp_server_with_sender_recipient_subject_and_body(app, smtp):
    send_mail(ADDRESS, "Atur ulang kata sandi KPJku", BODY)

    [message] = smtp.wait_for(1)
    assert message["From"] == "KPJku <no-reply@kpjku.id>"
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Atur ulang kata sandi KPJku"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().rstrip("\n") == BODY


def test_send_mail_returns_before_the_mail_server_has_answered(app, smtp, monkeypatch):
    release = threading.Event()
    real_send = flask_mailman.EmailMessage.send

    def slow_send(self, *args, **kwargs):
        release.wait(5)
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(flask_mailman.EmailMessage, "send", slow_send)
    try:
        started = time.monotonic()
        send_mail(ADDRESS, "Lambat", BODY)
        assert time.monotonic() - started < 1
        assert smtp.messages == []
    finally:
        release.set()
    assert len(smtp.wait_for(1)) == 1


def test_wait_for_mail_lets_a_test_assert_that_nothing_was_sent(app, smtp):
    wait_for_mail()
    assert smtp.messages == []
    with pytest.raises(AssertionError, match="expected 1 e-mail"):
        smtp.wait_for(1, timeout=0.2)


def test_a_mail_server_that_is_down_is_a_logged_warning_without_personal_data(
    app, smtp, caplog, monkeypatch
):
    monkeypatch.setattr(app.extensions["mailman"], "port", free_port())  # nothing listens

    send_mail(ADDRESS, "Pembaruan KPJku", BODY)  # does not raise
    wait_for_mail()

    assert_one_quiet_warning(caplog, "Pembaruan KPJku", "ConnectionRefusedError")
    assert smtp.messages == []


def test_a_refused_recipient_is_logged_without_the_address(app, smtp, caplog):
    smtp.refused.add(ADDRESS)

    send_mail(ADDRESS, "Pembaruan KPJku", BODY)
    wait_for_mail()

    # smtplib's error quotes the refused address: the log must not.
    assert_one_quiet_warning(caplog, "Pembaruan KPJku", "SMTPRecipientsRefused")
    assert smtp.messages == []


def test_a_mail_server_that_never_answers_times_out(app, smtp, caplog, monkeypatch):
    mailman = app.extensions["mailman"]
    assert app.config["MAIL_TIMEOUT"] == mailman.timeout == 10
    with socket.socket() as silent:  # accepts connections (the kernel does), never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setattr(mailman, "port", silent.getsockname()[1])
        monkeypatch.setattr(mailman, "timeout", 0.3)

        send_mail(ADDRESS, "Pembaruan KPJku", BODY)
        wait_for_mail(timeout=5)  # raises TimeoutError if the sender hangs

    assert_one_quiet_warning(caplog, "Pembaruan KPJku", "timed out")


def assert_one_quiet_warning(caplog, subject: str, error_class: str) -> None:
    [record] = [r for r in caplog.records if r.name == "webapp.mail"]
    assert record.levelno == logging.WARNING
    assert subject in record.getMessage() and error_class in record.getMessage()
    assert record.exc_info is None  # a traceback would carry the error's text unfiltered
    for text in (record.getMessage(), caplog.text):
        assert ADDRESS not in text
        assert "sri.wahyuni" not in text
        assert "3171234567890123" not in text and "Halo Sri" not in text


def test_the_outbox_page_does_not_exist_outside_development(app, client):
    assert "devmail" not in app.blueprints
    assert client.get("/dev/kotak-keluar").status_code == 404


# The development app runs in its own process: a second app in this one would rebind the
# shared extension singletons (the limiter above all) that the session app uses.
DEVELOPMENT_APP = textwrap.dedent(
    """
    import json, sys
    from webapp import create_app
    from webapp.mail import send_mail, wait_for_mail

    outbox = sys.argv[1]
    app = create_app(
        "development", MAIL_OUTBOX_DIR=outbox, SQLALCHEMY_DATABASE_URI=f"sqlite:///{outbox}/dev.sqlite"
    )
    with app.app_context():
        for subject, body in json.loads(sys.argv[2]):
            send_mail("sri.wahyuni@contoh.id", subject, body)
            wait_for_mail()  # one at a time, so that they are written in order
    response = app.test_client().get("/dev/kotak-keluar")
    print("STATUS", response.status_code)
    print(response.get_data(as_text=True), file=open(f"{outbox}/page.html", "w"))
    """
)


@pytest.fixture
def development_outbox(tmp_path: Path) -> tuple[Path, str, str]:
    mails = [
        ("Pesan pertama", "Tidak ada tautan."),
        ("Verifikasi e-mail", "Buka https://kpjku.id/verifikasi?t=abc&x=1.\n<script>alert(1)</script>"),
    ]
    run = subprocess.run(
        [sys.executable, "-c", DEVELOPMENT_APP, str(tmp_path), json.dumps(mails)],
        cwd=BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return tmp_path, run.stdout, (tmp_path / "page.html").read_text()


def test_the_development_backend_prints_each_mail_and_writes_it_as_an_eml_file(development_outbox):
    outbox, console, _ = development_outbox
    assert "Subject: Verifikasi e-mail" in console and "To: sri.wahyuni@contoh.id" in console

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    message = BytesParser(policy=policy.default).parsebytes(files[-1].read_bytes())
    assert message["To"] == "sri.wahyuni@contoh.id"
    assert message["Subject"] == "Verifikasi e-mail"
    assert "https://kpjku.id/verifikasi?t=abc&x=1." in message.get_content()


def test_the_outbox_page_lists_mails_newest_first_with_links_and_escaped_html(development_outbox):
    _, console, html = development_outbox
    assert "STATUS 200" in console
    assert "Halaman ini hanya ada di mode pengembangan" in html
    assert html.index("Verifikasi e-mail") < html.index("Pesan pertama")
    assert "kepada sri.wahyuni@contoh.id" in html
    link = "https://kpjku.id/verifikasi?t=abc&amp;x=1"
    assert f'<a href="{link}" rel="noreferrer">{link}</a>.' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("no link here", "no link here"),
        ("Buka https://a.id/x?y=1&z=2.", 'Buka <a href="https://a.id/x?y=1&amp;z=2" rel="noreferrer">https://a.id/x?y=1&amp;z=2</a>.'),
        ("(http://a.id/b)", '(<a href="http://a.id/b" rel="noreferrer">http://a.id/b</a>)'),
        ('https://a.id/"><b>x', '<a href="https://a.id/" rel="noreferrer">https://a.id/</a>&#34;&gt;&lt;b&gt;x'),
        ("javascript:alert(1) <i>", "javascript:alert(1) &lt;i&gt;"),
    ],
)
def test_linkify_links_http_urls_and_escapes_everything_else(text, html):
    assert linkify(text) == html


def test_the_outbox_shows_only_the_newest_fifty(tmp_path):
    for n in range(52):
        mail = f"To: a@contoh.id\r\nSubject: Pesan {n:02d}\r\n\r\nisi\r\n"
        (tmp_path / f"20260101-000000-{n:06d}-x.eml").write_text(mail)

    shown = read_outbox(tmp_path)

    assert [m.subject for m in shown] == [f"Pesan {n:02d}" for n in range(51, 1, -1)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, {"MAIL_SERVER": "localhost", "MAIL_PORT": 25, "MAIL_USE_TLS": False, "MAIL_USE_SSL": False}),
        ("smtp://mail.kpjku.id", {"MAIL_SERVER": "mail.kpjku.id", "MAIL_PORT": 25, "MAIL_USERNAME": None, "MAIL_PASSWORD": None}),
        (
            "smtp://kirim%40kpjku.id:p%40ss%3Aword@mail.kpjku.id:587?starttls=true",
            {"MAIL_PORT": 587, "MAIL_USERNAME": "kirim@kpjku.id", "MAIL_PASSWORD": "p@ss:word", "MAIL_USE_TLS": True, "MAIL_USE_SSL": False},
        ),
        ("smtp://mail.kpjku.id:2525?starttls=false", {"MAIL_PORT": 2525, "MAIL_USE_TLS": False}),
        ("smtps://user:pw@mail.kpjku.id", {"MAIL_PORT": 465, "MAIL_USERNAME": "user", "MAIL_PASSWORD": "pw", "MAIL_USE_TLS": False, "MAIL_USE_SSL": True}),
        ("smtps://mail.kpjku.id:4650", {"MAIL_PORT": 4650, "MAIL_USE_SSL": True}),
    ],
)
def test_smtp_url_forms(url, expected):
    settings = smtp_settings(url)
    assert settings["MAIL_BACKEND"] == "smtp"
    assert {key: settings[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://user:geheim@mail.kpjku.id", "must start with smtp:// or smtps://, not http"),
        ("mail.kpjku.id:25", "must start with smtp:// or smtps://"),
        ("smtp://user:geheim@", "names no host"),
        ("smtp://mail.kpjku.id:port", "SMTP_URL: Port"),
        ("smtp://mail.kpjku.id?tls=true", "knows only"),
        ("smtp://mail.kpjku.id?starttls=ya", "starttls must be true or false"),
        ("smtps://mail.kpjku.id?starttls=true", "TLS already"),
    ],
)
def test_a_wrong_smtp_url_is_a_clear_error_that_does_not_quote_the_password(url, error):
    with pytest.raises(ValueError, match=error) as raised:
        smtp_settings(url)
    assert "geheim" not in str(raised.value)


@pytest.mark.parametrize(
    ("smtp_url", "expected"),
    [
        ("smtps://kirim:rahasia@mail.kpjku.id", ["mail.kpjku.id", 465, "kirim", "rahasia", False, True]),
        (None, ["localhost", 25, None, None, False, False]),
    ],
)
def test_production_reads_smtp_url(smtp_url, expected):
    # The configuration classes read the environment once, on import: a fresh process.
    env = {key: value for key, value in os.environ.items() if key != "SMTP_URL"}
    if smtp_url:
        env["SMTP_URL"] = smtp_url
    script = (
        "import json; from config import ProductionConfig as P; print(json.dumps([P.MAIL_SERVER,"
        " P.MAIL_PORT, P.MAIL_USERNAME, P.MAIL_PASSWORD, P.MAIL_USE_TLS, P.MAIL_USE_SSL, P.MAIL_BACKEND]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [*expected, "smtp"]
