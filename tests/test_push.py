"""Web Push: subscriptions checked strictly, pushed only to allowed push services, and a
real delivery to a local push service whose body this test decrypts as a browser would."""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from tests import factories
from tests.conftest import AuthActions, csrf_token
from tests.test_notifications import claim_of
from webapp.balances.services import today
from webapp.claims import services as claims
from webapp.extensions import db
from webapp.models import PushSubscription
from webapp.notifications import push
from webapp.notifications.push import wait_for_push


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What a browser holds for one subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ))

    def subscription(self, endpoint: str) -> dict:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        ))


@dataclass
class Received:
    path: str
    headers: dict  # names in lower case
    body: bytes


class PushService:
    """A local push service: http.server in a thread, answering each POST with `status`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def endpoint(self, name: str = "abc") -> str:
        return f"{self.origin}/wpush/v2/{name}"


@pytest.fixture
def service(app, monkeypatch) -> Iterator[PushService]:
    service = PushService()
    service.thread.start()
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ("127.0.0.1",))
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", True)
    yield service
    wait_for_push()
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def budi(app):
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    return factories.account(person, factories.membership(person), email="budi@contoh.id")


def subscribe(client, data, path="/notifikasi/push"):
    token = csrf_token(client, "/notifikasi")
    return client.post(path, json=data, headers={"X-CSRFToken": token})


def subscriptions() -> list[PushSubscription]:
    db.session.expire_all()
    return list(db.session.scalars(select(PushSubscription).order_by(PushSubscription.id)))


def verify_vapid(authorization: str, public_key: str) -> dict:
    """RFC 8292: 'vapid t=<JWT>, k=<key>'; the JWT is ES256 over header.claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert values["k"] == public_key
    header, claims_part, signature = values["t"].split(".")
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    return json.loads(unb64url(claims_part))


# --- The delivery the issue asks for ------------------------------------------------------


def test_a_claim_move_is_pushed_encrypted_to_the_subscribed_browser(app, client, budi, service):
    browser = Browser()
    AuthActions(client).login("budi@contoh.id")
    assert subscribe(client, browser.subscription(service.endpoint())).status_code == 201
    claim = claim_of(budi)

    claims.advance(claim.id, today())
    wait_for_push()

    [received] = service.received
    assert received.path == "/wpush/v2/abc"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert int(received.headers["ttl"]) == app.config["PUSH_TTL"]
    assert browser.decrypt(received.body) == {
        "title": "Klaim JHT: tahap Penetapan",
        "body": "Klaim JHT Anda sudah sampai tahap Penetapan.",
        "url": f"/klaim/{claim.public_id}",
    }
    jwt = verify_vapid(received.headers["authorization"], app.config["VAPID_PUBLIC_KEY"])
    assert jwt["aud"] == service.origin and jwt["sub"] == app.config["VAPID_SUBJECT"]


def test_a_gone_subscription_is_deleted_and_nothing_is_raised(app, client, budi, service):
    AuthActions(client).login("budi@contoh.id")
    subscribe(client, Browser().subscription(service.endpoint()))
    service.status = 410
    claims.advance(claim_of(budi).id, today())
    wait_for_push()
    assert len(service.received) == 1 and subscriptions() == []


def test_a_failing_service_is_logged_without_the_endpoints_secret(app, client, budi, service, caplog):
    AuthActions(client).login("budi@contoh.id")
    subscribe(client, Browser().subscription(service.endpoint("geheim-token")))
    service.status = 500
    with caplog.at_level(logging.WARNING, logger="webapp.notifications.push"):
        claims.advance(claim_of(budi).id, today())
        wait_for_push()
    assert "HTTP 500" in caplog.text and "geheim-token" not in caplog.text
    assert len(subscriptions()) == 1, "a failure that is not 404/410 keeps the subscription"


def test_an_endpoint_no_longer_allowed_is_not_posted_to(app, client, budi, service, monkeypatch):
    AuthActions(client).login("budi@contoh.id")
    subscribe(client, Browser().subscription(service.endpoint()))
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ("fcm.googleapis.com",))
    claims.advance(claim_of(budi).id, today())
    wait_for_push()
    assert service.received == []


def test_without_vapid_keys_push_is_off_and_the_rest_works(app, client, budi, service, monkeypatch, smtp):
    AuthActions(client).login("budi@contoh.id")
    subscribe(client, Browser().subscription(service.endpoint()))
    monkeypatch.setitem(app.extensions, "kpjku_vapid", None)
    assert subscribe(client, Browser().subscription(service.endpoint("b"))).status_code == 404
    claims.advance(claim_of(budi).id, today())
    wait_for_push()
    from webapp.mail import wait_for_mail

    wait_for_mail()
    assert service.received == [] and len(smtp.messages) == 1


def test_production_without_keys_has_push_off(tmp_path):
    from config import ProductionConfig
    from webapp.notifications.push import _load_key

    class App:
        config = {"VAPID_PRIVATE_KEY": None, "VAPID_KEY_SOURCE": ProductionConfig.VAPID_KEY_SOURCE}
        instance_path = str(tmp_path)

    assert _load_key(App) is None


def test_development_keeps_its_key_pair_in_instance(tmp_path):
    from webapp.notifications.push import _load_key

    class App:
        config = {"VAPID_PRIVATE_KEY": None, "VAPID_KEY_SOURCE": "instance"}
        instance_path = str(tmp_path)

    first, second = _load_key(App), _load_key(App)
    assert (tmp_path / "vapid.pem").stat().st_mode & 0o077 == 0
    assert first.private_pem() == second.private_pem()


@pytest.mark.parametrize("form", ["pem", "raw"])
def test_a_configured_private_key_is_read_as_pem_or_raw(form):
    from webapp import create_app
    from config import TestingConfig

    key = ec.generate_private_key(ec.SECP256R1())
    text = (
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode()
        if form == "pem" else b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    )
    public = b64url(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    app = create_app(TestingConfig, VAPID_PRIVATE_KEY=text, VAPID_PUBLIC_KEY=public)
    assert app.config["VAPID_PUBLIC_KEY"] == public
    with pytest.raises(RuntimeError, match="VAPID_PUBLIC_KEY"):
        create_app(TestingConfig, VAPID_PRIVATE_KEY=text, VAPID_PUBLIC_KEY=Browser().p256dh)


# --- Subscribing --------------------------------------------------------------------------


def test_resubscribing_replaces_and_another_account_takes_the_browser_over(app, client, budi, service):
    AuthActions(client).login("budi@contoh.id")
    first, again = Browser(), Browser()
    subscribe(client, first.subscription(service.endpoint()))
    subscribe(client, again.subscription(service.endpoint()))
    [row] = subscriptions()
    assert (row.account_id, row.p256dh) == (budi.id, again.p256dh)

    AuthActions(client).logout()
    ani = factories.account(factories.person(), email="ani@contoh.id")
    AuthActions(client).login("ani@contoh.id")
    subscribe(client, again.subscription(service.endpoint()))
    [row] = subscriptions()
    assert row.account_id == ani.id


def test_unsubscribing_removes_only_ones_own(app, client, budi, service):
    AuthActions(client).login("budi@contoh.id")
    browser = Browser()
    subscribe(client, browser.subscription(service.endpoint()))
    other = factories.account(factories.person(), email="lain@contoh.id")
    db.session.add(PushSubscription(account_id=other.id, endpoint=service.endpoint("lain"),
                                    p256dh=browser.p256dh, auth=b64url(browser.auth)))
    db.session.commit()
    response = subscribe(client, {"endpoint": service.endpoint("lain")}, "/notifikasi/push/hapus")
    assert response.status_code == 200 and len(subscriptions()) == 2
    subscribe(client, {"endpoint": service.endpoint()}, "/notifikasi/push/hapus")
    assert [row.account_id for row in subscriptions()] == [other.id]


def test_an_account_keeps_at_most_ten_browsers(app, client, budi, service):
    AuthActions(client).login("budi@contoh.id")
    for index in range(push.MAX_PER_ACCOUNT + 2):
        subscribe(client, Browser().subscription(service.endpoint(f"b{index}")))
    kept = [row.endpoint for row in subscriptions()]
    assert len(kept) == push.MAX_PER_ACCOUNT and service.endpoint("b0") not in kept


GOOD = Browser()


def bad(**changes) -> dict:
    data = GOOD.subscription("https://fcm.googleapis.com/fcm/send/abc")
    keys = changes.pop("keys", {})
    if keys is None:
        del data["keys"]
    else:
        data["keys"].update(keys)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (None, "tidak terbaca"),
        ([1, 2], "tidak terbaca"),
        (bad(endpoint=None), "endpoint"),
        (bad(endpoint="http://fcm.googleapis.com/fcm/send/abc"), "tidak diizinkan"),
        (bad(endpoint="https://fcm.googleapis.com/" + "a" * 1000), "endpoint"),
        (bad(endpoint="https://127.0.0.1/x"), "tidak diizinkan"),
        (bad(endpoint="https://169.254.169.254/latest/meta-data"), "tidak diizinkan"),
        (bad(endpoint="https://fcm.googleapis.com.evil.example/x"), "tidak diizinkan"),
        (bad(endpoint="https://user:pw@fcm.googleapis.com/x"), "tidak diizinkan"),
        (bad(endpoint="https://notify.windows.com/x"), "tidak diizinkan"),
        (bad(endpoint="file:///etc/passwd"), "tidak diizinkan"),
        (bad(keys=None), "keys"),
        (bad(keys={"p256dh": GOOD.p256dh[:-4]}), "p256dh"),
        (bad(keys={"p256dh": "!" * 87}), "p256dh"),
        (bad(keys={"p256dh": "A" + GOOD.p256dh[1:]}), "p256dh"),
        (bad(keys={"auth": b64url(b"x" * 15)}), "auth"),
        (bad(keys={"auth": b64url(b"x" * 17)}), "auth"),
        (bad(keys={"auth": 12}), "auth"),
    ],
)
def test_bad_subscriptions_are_refused_with_a_json_error_and_nothing_stored(client, budi, data, field):
    AuthActions(client).login("budi@contoh.id")
    response = subscribe(client, data)
    assert response.status_code == 400
    assert field in response.get_json()["error"]
    assert subscriptions() == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
        "https://web.push.apple.com/QGx",
    ],
)
def test_the_real_push_services_are_allowed(client, budi, endpoint):
    AuthActions(client).login("budi@contoh.id")
    assert subscribe(client, GOOD.subscription(endpoint)).status_code == 201
    assert [row.endpoint for row in subscriptions()] == [endpoint]


def test_subscribing_needs_csrf_and_a_login(client, budi):
    data = GOOD.subscription("https://fcm.googleapis.com/fcm/send/abc")
    assert client.post("/notifikasi/push", json=data).status_code in (302, 400)
    AuthActions(client).login("budi@contoh.id")
    assert client.post("/notifikasi/push", json=data).status_code == 400
    assert subscriptions() == []


@pytest.mark.parametrize(
    ("endpoint", "allowed"),
    [
        ("https://fcm.googleapis.com/fcm/send/x", True),
        ("https://FCM.googleapis.com/fcm/send/x", True),
        ("https://a.b.notify.windows.com/w", True),
        ("https://notify.windows.com/w", False),
        ("https://evilnotify.windows.com/w", False),
        ("https://fcm.googleapis.com:notaport/x", False),
        ("http://fcm.googleapis.com/x", False),
        ("https://127.0.0.1:8443/x", False),
        ("//fcm.googleapis.com/x", False),
    ],
)
def test_the_allow_list_at_service_level(app, endpoint, allowed):
    assert push.allowed_endpoint(endpoint) is allowed


def test_http_is_allowed_only_where_the_setting_says_and_only_for_listed_hosts(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ("127.0.0.1",))
    assert not push.allowed_endpoint("http://127.0.0.1:9/x")
    monkeypatch.setitem(app.config, "PUSH_ALLOW_HTTP", True)
    assert push.allowed_endpoint("http://127.0.0.1:9/x")
    assert not push.allowed_endpoint("http://localhost:9/x")


def test_parse_keeps_the_keys_unpadded_and_refuses_padding_tricks(app):
    data = GOOD.subscription("https://fcm.googleapis.com/fcm/send/abc")
    data["keys"]["auth"] += "=="
    parsed = push.parse(data)
    assert parsed.auth == b64url(GOOD.auth) and parsed.p256dh == GOOD.p256dh
    data["keys"]["auth"] = b64url(GOOD.auth) + "A"  # decodes, but not to 16 bytes
    with pytest.raises(push.SubscriptionError, match="auth"):
        push.parse(data)
