"""Flask-Limiter's check before every request, skipped where it can find nothing to count.

The app's limits are all on the views and helpers that need them (sign-in, Tambah KPJ, the
public card check...): no application-wide, default or meta limit. Flask-Limiter still
works out, before every request, which limits apply (the view's name, its blueprint's
exemptions and limits), and finds none for Beranda, a card page or /sehat: a fifth of
/sehat's time. The check is skipped exactly when it would find nothing:

- no application, default or meta limits are configured (else this module does nothing);
- the request's blueprint carries no limits of its own;
- no helper called by this view has been limited (Flask-Limiter learns those "hints" as
  the helpers run, so this is asked on every request).

A view's own decorated limits do not come into it: its decorator counts them when the view
is called, whether or not the check before the request ran."""

from __future__ import annotations

import functools

from flask import Flask, request
from flask_limiter import Limiter


def init_app(app: Flask, limiter: Limiter) -> None:
    """After limiter.init_app(app)."""
    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits or app.config.get("RATELIMIT_META"):
        return
    functions = app.before_request_funcs.setdefault(None, [])
    found = [index for index, function in enumerate(functions)
             if getattr(function, "__self__", None) is limiter and function.__name__ == "_check_request_limit"]
    if not found:  # limits switched off (RATELIMIT_ENABLED False): no check to skip
        return
    [index] = found
    check = functions[index]

    @functools.lru_cache(maxsize=None)
    def blueprint_has_limits(blueprint: str | None) -> bool:
        return bool(blueprint and manager.blueprint_limits(app, blueprint))

    def check_where_a_limit_may_apply() -> None:
        if blueprint_has_limits(request.blueprint) or manager.has_hints(request.endpoint or ""):
            check()

    functions[index] = check_where_a_limit_may_apply
