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
    # A failing statement's message and log never carry the values bound to it (NIKs,
    # e-mail addresses, names). A connection idle for a while is tried before use
    # (webapp/extensions.py), not every one: pool_pre_ping would cost a round trip a request.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # The cookie lives no longer than a server-side session can (webapp/sessions.py),
    # and is not re-sent on every response.
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    SESSION_REFRESH_EACH_REQUEST = False
    # werkzeug.security method for new password hashes: a slow KDF everywhere but the tests.
    PASSWORD_HASH_METHOD = "scrypt"

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # An unreachable limit store (Redis down) must not take logins down with it: the limits
    # then count in each process's memory, with a warning, until the store answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A store that stops answering (not only one that refuses) is given up on quickly.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
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
    # Kartu digital verification (/v/<token>), public: per client address. A hospital desk
    # checks a few cards an hour; tokens are unguessable, so this only bounds the load.
    VERIFY_LIMIT = "60 per hour"

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted; the rate
    # limits per address need the client's address, not the proxy's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Logs as one JSON object a line on stderr (webapp/logs.py); LOG_JSON=0 for plain
    # Python logging. The tests read records through pytest instead.
    LOG_JSON = os.environ.get("LOG_JSON", "1") != "0"

    SEND_FILE_MAX_AGE_DEFAULT = 60 * 60 * 24 * 7
    # Pages, fragments and JSON go out compressed (Flask-Compress), error pages and forms
    # sent back with their errors included; static files are
    # compressed once, at their best, by webapp/assets.py. A streamed answer (and any type
    # not listed, such as the CSV statement) goes out as it is.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_REGISTER = False  # webapp/assets.py registers it, error pages included
    COMPRESS_MIMETYPES = ["text/html", "application/json", "application/manifest+json",
                          "text/javascript", "application/javascript"]
    COMPRESS_BR_LEVEL = 5
    COMPRESS_STREAMS = False
    # Development: a CSS or JS file edited while the app runs gets a new fingerprint on the
    # next request (elsewhere the fingerprints are taken once, at start-up).
    ASSETS_AUTO_RELOAD = False
    # Three claim documents of at most 2 MB each (webapp/uploads.py) and the form around
    # them; a larger request gets a 413 before anything reads it.
    MAX_CONTENT_LENGTH = 7 * 1024 * 1024
    # A form without files, and each text field of a form with files, is no larger
    # (webapp/input_guard.py).
    MAX_FORM_MEMORY_SIZE = 64 * 1024
    # Claim documents: outside static/, so that only webapp/uploads.send() serves them. With
    # more than one app server, a directory they all share.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads")
    # No single path segment, query or form value is longer (webapp/input_guard.py); the
    # services keep their own, tighter limits per field.
    MAX_VALUE_LENGTH = 4096
    # Strict-Transport-Security: only where the site is served over HTTPS.
    HSTS = False

    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_FROM", "KPJku <no-reply@kpjku.id>")
    # A dead mail server must not hold a sender thread forever.
    MAIL_TIMEOUT = 10
    # Where the development backend keeps each message; the outbox page exists only with it.
    MAIL_OUTBOX_DIR: str | None = None
    # The site's address for links in e-mails sent outside a request (e.g. a notification
    # from `flask claims advance`); within a request the request's own address is used.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # Web Push (webapp/notifications/push.py). The private key as PEM or as the base64url
    # raw 32-byte key; the public key (base64url uncompressed point) is derived from it and,
    # when given too, must match. Without a private key, push is off and nothing else changes.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY")
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY")
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@kpjku.id")
    # Where a missing key comes from: None (push off), "instance" (a key pair made once and
    # kept in instance/vapid.pem) or "generate" (a new pair per process: the tests).
    VAPID_KEY_SOURCE: str | None = None
    # The server POSTs to the URL a browser gives: only to these push services (a leading
    # "*." allows any subdomain), only over HTTPS, following no redirect.
    PUSH_SERVICE_HOSTS = (
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.notify.windows.com",
        "*.push.apple.com",
    )
    PUSH_ALLOW_HTTP = False  # tests only: their push service is a local http.server
    # A push waits at the push service this long for a phone that is offline.
    PUSH_TTL = 60 * 60 * 24
    PUSH_TIMEOUT = 10


class DevelopmentConfig(Config):
    # A fixed key only for the local demo; production refuses to start without one.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    # E-mails go to the console and to /dev/kotak-keluar, never to a real inbox.
    MAIL_BACKEND = "webapp.mail.DevOutboxEmailBackend"
    MAIL_OUTBOX_DIR = str(INSTANCE_DIR / "outbox")
    ASSETS_AUTO_RELOAD = True
    VAPID_KEY_SOURCE = "instance"
    # `flask officers code EMAIL` prints an officer's current TOTP code: the demo's officers
    # need no authenticator app. Nowhere else.
    OFFICER_CODE_HELPER = True


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
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast: tests log in thousands of times
    VAPID_KEY_SOURCE = "generate"
    LOG_JSON = False


class ProductionConfig(Config):
    # Several workers must share one count, or each would grant the full limit.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    # No default: a notification e-mail sent by a CLI command must not link to localhost.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")

    # Without these the app would run on a public key or an empty SQLite file.
    REQUIRED_ENVIRONMENT = {
        "SECRET_KEY": "the key that signs sessions and CSRF tokens, e.g. "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`",
        "DATABASE_URL": "the PostgreSQL database, e.g. postgresql://user:password@host/kpjku",
    }

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
        # Read at start-up, not at import, so that what is checked is what is running.
        for name, meaning in cls.REQUIRED_ENVIRONMENT.items():
            if not os.environ.get(name):
                raise RuntimeError(
                    f"{name} is not set: production refuses to start without it ({meaning})."
                )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_named(name: str) -> type[Config]:
    """The configuration KPJKU_CONFIG names; a typo must never fall back to another one."""
    try:
        return CONFIGS[name]
    except KeyError:
        known = ", ".join(CONFIGS)
        message = f"KPJKU_CONFIG={name!r} is not a configuration; use one of: {known}."
        raise RuntimeError(message) from None
