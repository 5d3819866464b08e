"""Configuration classes. Settings that differ per machine come from the environment."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'kpjku.sqlite'}"


def database_url(url: str | None) -> str:
    """DATABASE_URL as hosting platforms give it (postgres://...) uses the psycopg 3 driver."""
    if not url:
        return _default_database_url()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


SMTP_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
SMTP_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def smtp_settings(url: str | None) -> dict:
    """Flask-Mailman settings from SMTP_URL: smtp://user:pass@host:587?starttls=true, or
    smtps://user:pass@host:465 for implicit TLS. Without a URL: the machine's own MTA."""
    parts = urlsplit(url or "smtp://localhost")
    if parts.scheme not in SMTP_DEFAULT_PORTS:
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or 'nothing'}")
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host")
    starttls = _smtp_starttls(parts.query)
    if starttls and parts.scheme == "smtps":
        raise ValueError("SMTP_URL: smtps:// is TLS already; starttls=true is for smtp://")
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": _smtp_port(parts),
        # Percent-encoded in the URL, so that a password may hold ':', '@' or '/'.
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_USE_TLS": starttls,
        "MAIL_USE_SSL": parts.scheme == "smtps",
    }


def _smtp_port(parts) -> int:
    try:
        return parts.port or SMTP_DEFAULT_PORTS[parts.scheme]
    except ValueError as error:  # not a number, or out of range
        raise ValueError(f"SMTP_URL: {error}") from None


def _smtp_starttls(query: str) -> bool:
    options = parse_qs(query, keep_blank_values=True)
    if set(options) - {"starttls"}:
        raise ValueError(f"SMTP_URL knows only ?starttls=true|false, not {', '.join(sorted(options))}")
    value = options.get("starttls", ["false"])[-1].lower()
    if value not in SMTP_FLAGS:
        raise ValueError(f"SMTP_URL: starttls must be true or false, not {value!r}")
    return SMTP_FLAGS[value]


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # The cookie lives no longer than a server-side session can (webapp/sessions.py),
    # and is not re-sent on every response.
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    SESSION_REFRESH_EACH_REQUEST = False

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # Login: per client address. Per account, failures have budgets of their own
    # (webapp/auth/signin.py) that never lock the owner's known browser out.
    LOGIN_LIMIT = "10 per 15 minutes"
    # Lupa kata sandi: every request counts, it sends e-mail.
    RESET_LIMIT_PER_IP = "10 per hour"
    RESET_LIMIT_PER_EMAIL = "3 per hour"
    # Tambah KPJ: only attempts that reach the registry count.
    ADD_KPJ_LIMIT_PER_ACCOUNT = "10 per hour"
    ADD_KPJ_LIMIT_PER_IP = "30 per hour"
    REGISTER_LIMIT = "10 per hour"

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted; the rate
    # limits per address need the client's address, not the proxy's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    SEND_FILE_MAX_AGE_DEFAULT = 60 * 60 * 24 * 7
    MAX_CONTENT_LENGTH = 64 * 1024

    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_FROM", "KPJku <no-reply@kpjku.id>")
    # A dead mail server must not hold a sender thread forever.
    MAIL_TIMEOUT = 10
    # Where the development backend keeps each message; the outbox page exists only with it.
    MAIL_OUTBOX_DIR: str | None = None


class DevelopmentConfig(Config):
    # A fixed key only for the local demo; production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    # E-mails go to the console and to /dev/kotak-keluar, never to a real inbox.
    MAIL_BACKEND = "webapp.mail.DevOutboxEmailBackend"
    MAIL_OUTBOX_DIR = str(INSTANCE_DIR / "outbox")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-not-secret"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    # tests/conftest.py points the port at the SMTP server the suite runs.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False


class ProductionConfig(Config):
    # Several workers must share one count, or each would grant the full limit.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    _smtp = smtp_settings(os.environ.get("SMTP_URL"))  # lower case: not itself a setting
    MAIL_BACKEND = _smtp["MAIL_BACKEND"]
    MAIL_SERVER = _smtp["MAIL_SERVER"]
    MAIL_PORT = _smtp["MAIL_PORT"]
    MAIL_USERNAME = _smtp["MAIL_USERNAME"]
    MAIL_PASSWORD = _smtp["MAIL_PASSWORD"]
    MAIL_USE_TLS = _smtp["MAIL_USE_TLS"]
    MAIL_USE_SSL = _smtp["MAIL_USE_SSL"]

    @classmethod
    def check(cls) -> None:
        if not cls.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
