"""Secrets handed to a browser or an e-mail (session cookies, verification and reset
links). Only their SHA-256 is stored, so a copy of the database opens nothing."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh URL-safe token and the digest to store for it."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
