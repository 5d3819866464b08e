"""Web Push (RFC 8030/8291/8292): the VAPID key pair, the browsers' subscriptions, and the
delivery of a notification's title, sentence and link to each of an account's browsers.

    init_app(app)                     load (or make, outside production) the VAPID keys
    enabled() / public_key()          whether push is on; the key the browser subscribes with
    subscribe(account_id, data)       save a browser's PushSubscription (typed failure on bad input)
    unsubscribe(account_id, data)     forget it
    send_later(app, pushes)           queue deliveries off the request thread
    wait_for_push(timeout=10)         block until every queued push is delivered (tests, CLI)

The server POSTs to a URL a browser gave: only to the push services PUSH_SERVICE_HOSTS names,
over HTTPS, following no redirect (SSRF). The payload holds no personal data."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import PushSubscription

log = logging.getLogger(__name__)

MAX_ENDPOINT = 1000  # the column's width
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16
GONE = (404, 410)  # the push service no longer knows the subscription
MAX_PER_ACCOUNT = 10  # browsers; a new one beyond this replaces the oldest

_sender = ThreadPoolExecutor(max_workers=2, thread_name_prefix="push")
_pending: set[Future] = set()
_pending_lock = threading.Lock()
_generated: Vapid | None = None  # VAPID_KEY_SOURCE="generate": one pair per process


# --- Keys ---------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    vapid = _load_key(app)
    app.extensions["kpjku_vapid"] = vapid
    if vapid is None:
        return
    derived = _b64url(vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ))
    configured = app.config.get("VAPID_PUBLIC_KEY")
    if configured and configured.rstrip("=") != derived:
        raise RuntimeError("VAPID_PUBLIC_KEY is not the public half of VAPID_PRIVATE_KEY.")
    app.config["VAPID_PUBLIC_KEY"] = derived


def _load_key(app: Flask) -> Vapid | None:
    configured = app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        text = configured.strip()
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode())
        return Vapid.from_raw(text.encode())
    source = app.config.get("VAPID_KEY_SOURCE")
    if source == "instance":
        return _instance_key(Path(app.instance_path) / "vapid.pem")
    if source == "generate":
        global _generated
        if _generated is None:
            _generated = Vapid()
            _generated.generate_keys()
        return _generated
    return None


def _instance_key(path: Path) -> Vapid:
    """Development: a key pair made on the first start and kept, so that a browser's
    subscription survives a restart."""
    if not path.exists():
        vapid = Vapid()
        vapid.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(vapid.private_pem())
        partial.chmod(0o600)
        partial.replace(path)
    return Vapid.from_pem(path.read_bytes())


def enabled() -> bool:
    return current_app.extensions.get("kpjku_vapid") is not None


def public_key() -> str | None:
    return current_app.config.get("VAPID_PUBLIC_KEY") if enabled() else None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- Subscriptions ------------------------------------------------------------------------


class SubscriptionError(Exception):
    """A subscription that is refused; the message says why, in Indonesian."""


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str


def parse(data: object) -> Subscription:
    """A browser's PushSubscription.toJSON(), checked strictly: an https endpoint at an
    allowed push service, and base64url keys of the sizes Web Push uses."""
    if not isinstance(data, dict):
        raise SubscriptionError("Data langganan notifikasi tidak terbaca.")
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT:
        raise SubscriptionError("Alamat layanan notifikasi (endpoint) tidak valid.")
    if not allowed_endpoint(endpoint):
        raise SubscriptionError("Alamat layanan notifikasi (endpoint) tidak diizinkan.")
    if not isinstance(keys, dict):
        raise SubscriptionError("Kunci langganan notifikasi (keys) tidak ada.")
    p256dh = _key(keys.get("p256dh"), P256DH_BYTES, "p256dh")
    auth = _key(keys.get("auth"), AUTH_BYTES, "auth")
    return Subscription(endpoint, p256dh, auth)


def _key(value: object, size: int, name: str) -> str:
    if not isinstance(value, str) or len(value) > 2 * size:
        raise SubscriptionError(f"Kunci langganan notifikasi ({name}) tidak valid.")
    text = value.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size or _b64url(raw) != text or (name == "p256dh" and raw[0] != 4):
        raise SubscriptionError(f"Kunci langganan notifikasi ({name}) tidak valid.")
    return text


def allowed_endpoint(endpoint: str) -> bool:
    """Only the push services configured, over HTTPS (http only where a test allows it)."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        return False
    schemes = ("https", "http") if current_app.config.get("PUSH_ALLOW_HTTP") else ("https",)
    if parts.scheme not in schemes or parts.username or parts.password or not host:
        return False
    return any(_host_matches(host, pattern.lower()) for pattern in current_app.config["PUSH_SERVICE_HOSTS"])


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def subscribe(account_id: int, data: object) -> PushSubscription:
    """Save a browser's subscription for this account. The endpoint is unique: the same
    browser subscribing again replaces its keys, and a browser now signed in to another
    account moves to it. Two subscriptions of one new browser at once (push.js asked
    twice) save one row: the one that loses the race on the unique endpoint updates the
    winner's. Commits."""
    subscription = parse(data)
    for last_try in (False, True):
        row = _find(subscription.endpoint)
        if row is None:
            row = PushSubscription(endpoint=subscription.endpoint)
            db.session.add(row)
        row.account_id, row.p256dh, row.auth = account_id, subscription.p256dh, subscription.auth
        try:
            db.session.flush()
            break
        except IntegrityError:
            db.session.rollback()
            if last_try:
                raise
    kept = (
        select(PushSubscription.id)
        .where(PushSubscription.account_id == account_id)
        .order_by(PushSubscription.id.desc())
        .limit(MAX_PER_ACCOUNT)
    )
    db.session.execute(
        delete(PushSubscription)
        .where(PushSubscription.account_id == account_id, PushSubscription.id.not_in(kept))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return row


def _find(endpoint: str) -> PushSubscription | None:
    return db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))


def unsubscribe(account_id: int, data: object) -> bool:
    """Forget this account's subscription with the endpoint given. Commits."""
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT:
        raise SubscriptionError("Alamat layanan notifikasi (endpoint) tidak valid.")
    deleted = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.account_id == account_id
        )
    ).rowcount
    db.session.commit()
    return bool(deleted)


# --- Delivery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    subscription: Subscription
    payload: dict  # {title, body, url}: no personal data


def send_later(app: Flask, pushes: list[Push]) -> None:
    """Deliver each push off the request thread. Never raises."""
    for push in pushes:
        future = _sender.submit(_deliver, app, push)
        with _pending_lock:
            _pending.add(future)
        future.add_done_callback(_forget)


def wait_for_push(timeout: float = 10) -> None:
    with _pending_lock:
        queued = set(_pending)
    _, not_done = wait(queued, timeout=timeout)
    if not_done:
        raise TimeoutError(f"{len(not_done)} push(es) still being sent after {timeout} s")


def _forget(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def _deliver(app: Flask, push: Push) -> None:
    with app.app_context():
        service = urlsplit(push.subscription.endpoint).hostname  # never the path: a secret
        try:
            status = _post(push)
            if status in GONE:
                _forget_subscription(push.subscription.endpoint)
            elif status >= 300:
                log.warning("Push to %s refused: HTTP %s", service, status)
        except Exception as error:  # whatever goes wrong, the notification is in the inbox
            log.warning("Push to %s not sent: %s", service, type(error).__name__)
        finally:
            db.session.remove()


def _post(push: Push) -> int:
    if not allowed_endpoint(push.subscription.endpoint):  # the setting may have changed since
        raise PermissionError("push service not allowed")
    vapid: Vapid = current_app.extensions["kpjku_vapid"]
    endpoint = urlsplit(push.subscription.endpoint)
    headers = vapid.sign({
        "aud": f"{endpoint.scheme}://{endpoint.netloc}",
        "sub": current_app.config["VAPID_SUBJECT"],
        "exp": _expiry(),
    })
    with requests.Session() as session:
        session.max_redirects = 0  # a redirect could lead anywhere: not followed
        session.trust_env = False  # nor through a proxy the environment names
        response = WebPusher(
            {"endpoint": push.subscription.endpoint,
             "keys": {"p256dh": push.subscription.p256dh, "auth": push.subscription.auth}},
            requests_session=session,
        ).send(
            json.dumps(push.payload, ensure_ascii=False),
            headers,
            ttl=current_app.config["PUSH_TTL"],
            timeout=current_app.config["PUSH_TIMEOUT"],
        )
    return response.status_code


def _expiry() -> int:
    return int(time.time()) + 12 * 60 * 60  # RFC 8292: at most 24 hours


def _forget_subscription(endpoint: str) -> None:
    db.session.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))
    db.session.commit()
