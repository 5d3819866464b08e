"""KPJku: the participant portal. create_app() is the one entry point."""

from __future__ import annotations

import logging
from importlib import import_module

from flask import Flask
from flask.logging import default_handler
from werkzeug.middleware.proxy_fix import ProxyFix

from config import BASE_DIR, INSTANCE_DIR, config_named


class KpjkuFlask(Flask):
    """Flask, asking once per function, not on every request, whether it is a coroutine.

    Flask passes every view, before- and after-request function and teardown through
    ensure_sync() on every request, and that asks `inspect` each time: a dozen calls per
    page. The answer for a function never changes; Flask's documentation invites overriding
    this method."""

    _SYNC_LIMIT = 1024

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        try:
            return self._sync[func]
        except KeyError:
            pass
        except TypeError:  # not hashable: asked each time, as Flask does
            return super().ensure_sync(func)
        if len(self._sync) >= self._SYNC_LIMIT:
            self._sync.clear()
        synchronous = self._sync[func] = super().ensure_sync(func)
        return synchronous


def create_app(config: str | type = "development", **overrides: object) -> Flask:
    config_class = config_named(config) if isinstance(config, str) else config
    if hasattr(config_class, "check"):
        config_class.check()

    app = KpjkuFlask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    INSTANCE_DIR.mkdir(exist_ok=True)
    trust_proxies(app)

    from webapp import (
        assets, errors, formatting, input_guard, logs, mail, migrations_cli, ratelimit, readiness, security, toasts,
        transactions,
    )
    from webapp.extensions import csrf, db, limiter, login_manager

    logs.init_app(app)  # first: every request gets its id and its access line, refused ones too
    input_guard.init_app(app)  # hostile input is refused before anything reads it
    db.init_app(app)
    transactions.init_app(app)  # a request that only read ends with COMMIT
    migrations_cli.init(app)  # `flask db`: Flask-Migrate is imported only when it runs
    csrf.init_app(app)
    limiter.init_app(app)
    ratelimit.init_app(app, limiter)  # no limiter work before requests where no limit applies
    _log_limiter_warnings()
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    formatting.init_app(app)
    toasts.init_app(app)
    mail.init_app(app)
    assets.init_app(app)  # with the compression of every answer

    from webapp import auth, backoffice, balances, card, claims, kpj, main, merge, officers, registry, demo

    app.register_blueprint(main.bp)
    readiness.init_app(app)  # /siap
    app.register_blueprint(auth.bp)
    app.register_blueprint(kpj.bp)
    app.register_blueprint(balances.bp)
    app.register_blueprint(card.bp)
    app.register_blueprint(merge.bp)
    claims.init_app(app)
    registry.init_app(app)
    demo.init_app(app)
    app.register_blueprint(import_module("webapp.requests").bp)  # Permintaan peserta
    officers.init_app(app)
    backoffice.init_app(app)
    import_module("webapp.notifications").init_app(app)  # Notifikasi
    return app


def _log_limiter_warnings() -> None:
    """Flask-Limiter says that its store is unreachable (and that it falls back to memory) on
    its own logger, which has only a NullHandler: unless logging is configured (gunicorn
    leaves the root logger bare), send it where Flask's messages go."""
    if not logging.getLogger().handlers:
        logging.getLogger("flask-limiter").addHandler(default_handler)


def trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from TRUSTED_PROXIES reverse proxies."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
