"""Toasts: the transaction-status notices. Views flash them; base.html shows them on a full
page, _toast_oob.html carries them out of band on an htmx response."""

from __future__ import annotations

from flask import flash

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
