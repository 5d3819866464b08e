"""Toasts: the transaction-status notices. Views flash them; base.html shows them on a full
page, _toast_oob.html carries them out of band on an htmx response."""

from __future__ import annotations

from flask import Flask, flash, get_flashed_messages, session
from flask.globals import request_ctx

LEVELS = ("success", "info", "warning", "error")


def toast(
    level: str,
    title: str,
    text: str | None = None,
    *,
    steps: list[str] | None = None,
    link: tuple[str, str] | None = None,
) -> None:
    assert level in LEVELS
    message: dict[str, object] = {"title": title, "text": text, "steps": steps or []}
    if link:
        message["link"] = {"label": link[0], "url": link[1]}
    flash(message, level)


# An error or warning about a form's own submission (e.g. "data tidak sesuai" after the
# registry check, with its steps) belongs at the top of that form, not in a toast floating
# over it: toasts are for transaction status and good news.
FORM_LEVELS = ("warning", "error")


def take_form_notices() -> list[tuple[str, dict]]:
    """This request's error and warning flashes, taken out of the flashed messages so that
    #toasts (rendered after the page's content) leaves them to the form that shows them.
    Used by the form_notices() macro; a page without one keeps them as toasts."""
    unread = request_ctx.flashes is None
    if unread and not any(level in FORM_LEVELS for level, _ in session.get("_flashes", [])):
        return []  # leave the good news queued for the page that shows toasts
    flashes = get_flashed_messages(with_categories=True)  # the request's own list
    taken = [(level, message) for level, message in flashes if level in FORM_LEVELS]
    flashes[:] = [(level, message) for level, message in flashes if level not in FORM_LEVELS]
    return taken


def init_app(app: Flask) -> None:
    app.add_template_global(take_form_notices, "take_form_notices")
