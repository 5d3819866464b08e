"""Random values into every form and every route; not one answer may be a 5xx.

Nothing here names a form or a route: the routes come from the app's URL map, the forms
from crawling the pages as an anonymous visitor and as a member with cards, so a form or
a route added later is fuzzed without touching this file. The generator is seeded, so a
failure replays (KPJKU_FUZZ_SEED picks another run). Rate limits answer 429 along the way,
which is fine."""

from __future__ import annotations

import os
import random
import re
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote, quote_plus, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.conftest import CSRF_HEADER, CSRF_INPUT
from webapp.extensions import db

SEED = int(os.environ.get("KPJKU_FUZZ_SEED", "20260101"))
FORM_POSTS = 2000
GETS_PER_ROUTE = 12  # per route and per visitor
MAX_CRAWL = 80

CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]
ODD_UNICODE = [
    "é", "ß", "İ", "ﬀ", "漢字", "😀", "e\u0301", "\u200b", "\u200e", "\u202e", "\u2028",
    "\u2029", "\ufeff", "\u00a0", "\u3000", "٣", "０", "\ufffd", "\U0010ffff", "\ue000",
]
NASTY = [
    "' OR '1'='1", "\"; DROP TABLE accounts; --", "<script>alert(1)</script>", "{{7*7}}",
    "../../etc/passwd", "%00", "%", "%%", "%G0", "+", "&", "=", "/", "//evil.example",
    "\\\\evil.example", "javascript:alert(1)", "null", "None", "true", "[]", "{}",
]
NUMBERS = [
    "0", "-0", "-1", "1", "2", "20", "10000", "10001", "2147483648", "9223372036854775807",
    "9223372036854775808", "-9223372036854775809", "1" * 50, "1e309", "NaN", "inf", "0x10",
    "1.5", " 1", "１",
]
RAW_BYTES = [b"%FF", b"%C0%AF", b"%ED%A0%80", b"\xff", b"%", b"%0", b"%00"]


# --- Reading pages --------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    page: str  # where it was found, and where its CSRF token is read
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values seen


class PageReader(HTMLParser):
    """Links and forms of one page, as a browser without JavaScript would see them (and the
    hx-get/hx-post of htmx)."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.links: set[str] = set()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        for key in ("href", "hx-get"):
            if key in attr and tag != "link":
                self.links.add(attr[key])
        if tag == "form":
            method = attr.get("method", "get").lower()
            action = attr.get("action") or attr.get("hx-post") or self.path
            self._form = Form("post" if "hx-post" in attr else method, action, self.path)
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "button", "textarea", "select"):
            name = attr.get("name")
            if name:
                values = self._form.fields.setdefault(name, [])
                if attr.get("value"):
                    values.append(attr["value"])
                self._select = name if tag == "select" else None
        elif self._form is not None and tag == "option" and self._select:
            self._form.fields[self._select].append(attr.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Site:
    """What a visitor can reach: pages, their links' query names and the forms on them."""

    pages: set[str] = field(default_factory=set)
    forms: dict[tuple[str, str], Form] = field(default_factory=dict)
    query_names: set[str] = field(default_factory=set)


def crawl(client: FlaskClient, start: str = "/") -> Site:
    site, queue = Site(), [start]
    while queue and len(site.pages) < MAX_CRAWL:
        path = queue.pop(0)
        if path in site.pages or path.startswith("/static/"):
            continue
        site.pages.add(path)
        with client.get(path) as response:
            assert response.status_code < 500, f"{path}: {response.status_code} while crawling"
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        reader = PageReader(path)
        reader.feed(html)
        for link in filter(None, map(local, reader.links)):
            site.query_names.update(re.findall(r"(?:^|&)([^=&]+)=", urlsplit(link).query))
            queue.append(link)
        for form in reader.forms:
            if form.method == "get":
                site.query_names.update(form.fields)
            known = site.forms.setdefault((form.method, form.action), form)
            for name, values in form.fields.items():
                if known is not form:
                    known.fields.setdefault(name, []).extend(values)
    return site


def page_token(client: FlaskClient, path: str) -> str | None:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(html) or CSRF_HEADER.search(html)
    return match.group(1) if match else None


# --- Random values --------------------------------------------------------------------------


class Values:
    def __init__(self, rng: random.Random, plausible: list[str]) -> None:
        self.rng = rng
        self.plausible = plausible  # e-mail addresses, NIKs, KPJs, dates... that exist

    def text(self, seen: Sequence[str] = ()) -> str:
        rng = self.rng
        kind = rng.randrange(10)
        if kind == 0:
            return ""
        if kind == 1:
            return "".join(rng.choice(CONTROLS + list("abc@.1")) for _ in range(rng.randint(1, 12)))
        if kind == 2:
            return "".join(rng.choice(ODD_UNICODE + list("ab1 ")) for _ in range(rng.randint(1, 8)))
        if kind == 3:
            return rng.choice("a9é😀") * rng.choice([101, 129, 255, 1000, 4096, 4097, 6000])
        if kind == 4:
            return rng.choice(NUMBERS)
        if kind == 5:
            return rng.choice(NASTY)
        if kind in (6, 7) and seen:
            return rng.choice(seen)
        if kind in (6, 7, 8):
            return rng.choice(self.plausible)
        return "".join(chr(rng.randint(0x20, 0x7E)) for _ in range(rng.randint(1, 40)))

    def path_segment(self, converter: str) -> str:
        rng = self.rng
        if converter in ("int", "float") and rng.random() < 0.7:
            return rng.choice(NUMBERS).strip() or "0"
        if rng.random() < 0.1:
            return rng.choice(RAW_BYTES).decode("latin-1")
        return quote(self.text(), safe="") or "x"

    def query(self, names: list[str]) -> str:
        pairs = []
        for _ in range(self.rng.randint(0, 3)):
            name = self.rng.choice(names) if names and self.rng.random() < 0.8 else self.text()
            pairs.append(quote_plus(name) + "=" + quote_plus(self.text()))
        if self.rng.random() < 0.1:
            pairs.append("x=" + self.rng.choice(RAW_BYTES).decode("latin-1"))
        return "&".join(pairs)


# --- The fuzzing run --------------------------------------------------------------------------


@dataclass
class Visitor:
    name: str
    client: FlaskClient
    site: Site = field(default_factory=Site)
    token: str | None = None


@dataclass
class Run:
    values: Values
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    addresses: int = 0

    def send(self, visitor: Visitor, method: str, url: str, **kwargs):
        try:
            with visitor.client.open(url, method=method, **kwargs) as response:
                response.get_data()  # a body that fails half-way fails here
        except Exception:  # with TESTING on, Flask raises instead of answering 500
            self.failures.append(f"{visitor.name} {method} {url!r}: {traceback.format_exc(-3)}")
            db.session.rollback()
            return None
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.failures.append(f"{visitor.name} {method} {url!r}: {response.status_code}")
        return response

    def new_address(self) -> dict[str, str]:
        """A fresh client address, so that a limit on logins cannot keep the member out."""
        self.addresses += 1
        return {"REMOTE_ADDR": f"10.0.{self.addresses // 256 % 256}.{self.addresses % 256}"}


def get_routes(app: Flask) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods)


def fill(rule: str, values: Values) -> str:
    """The rule with each <converter(args):name> replaced by a random value."""
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: values.path_segment(m.group(1) or ""), rule
    )


def fuzz_gets(run: Run, visitor: Visitor, routes: list[str], seen_urls: list[str]) -> None:
    values, names = run.values, sorted(visitor.site.query_names)
    for rule in routes:
        for _ in range(GETS_PER_ROUTE):
            url = fill(rule, values)
            query = values.query(names)
            headers = htmx_headers(values) if values.rng.random() < 0.2 else {}
            run.send(visitor, "GET", url + ("?" + query if query else ""), headers=headers)
    for url in seen_urls:  # real pages with random queries
        query = values.query(names)
        run.send(visitor, "GET", url.split("?")[0] + ("?" + query if query else ""))


def htmx_headers(values: Values) -> dict[str, str]:
    # HTTP itself keeps line breaks out of a header, so only printable text.
    target = values.rng.choice(["segment-form", "found-list", "kpj-list", quote(values.text())])
    return {"HX-Request": "true", "HX-Target": target}


def random_form(values: Values, form: Form, token: str | None) -> MultiDict:
    rng, data = values.rng, MultiDict()
    for name, seen in form.fields.items():
        if name == "csrf_token":
            continue
        if rng.random() < 0.1:
            continue  # a missing field
        data.add(name, values.text(seen))
        if rng.random() < 0.03:
            data.add(name, values.text(seen))  # the same field twice
    if rng.random() < 0.05:
        data.add(values.text(), values.text())
    chance = rng.random()
    if chance < 0.85 and token:
        data.add("csrf_token", token)
    elif chance < 0.93:
        data.add("csrf_token", values.text())
    return data


def urlencoded(data: MultiDict, values: Values) -> bytes:
    body = "&".join(quote_plus(k) + "=" + quote_plus(v) for k, v in data.items(multi=True)).encode()
    if values.rng.random() < 0.05:
        body += b"&x=" + values.rng.choice(RAW_BYTES)
    return body


def post_form(run: Run, visitor: Visitor, form: Form):
    values = run.values
    data = random_form(values, form, visitor.token)
    headers = {}
    if values.rng.random() < 0.3:
        headers = htmx_headers(values)
        if visitor.token and values.rng.random() < 0.5:
            headers["X-CSRFToken"] = quote(data.pop("csrf_token", visitor.token))
    if values.rng.random() < 0.1:
        return run.send(visitor, "POST", form.action, data=data, headers=headers,
                        content_type="multipart/form-data")
    return run.send(visitor, "POST", form.action, data=urlencoded(data, values), headers=headers,
                    content_type="application/x-www-form-urlencoded")


def member_with_cards() -> str:
    """A member with linked cards (with contributions) and unlinked cards under the same NIK
    for Temukan KPJ lama; returns the e-mail address."""
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    active = factories.membership(person)
    ended = factories.membership(person, segment="BPU", status="NONAKTIF")
    factories.membership(person, status="NONAKTIF")
    factories.membership(person, segment="JAKON", status="NONAKTIF")
    for month in range(1, 13):
        factories.contribution(active, date(2019, month, 1))
        factories.contribution(ended, date(2018, month, 1), jp=0)
    email = f"fuzz{factories.next_kpj()}@contoh.id"
    factories.account(person, active, ended, email=email)
    return email


def log_in(run: Run, visitor: Visitor, email: str) -> bool:
    token = page_token(visitor.client, "/masuk")
    data = {"email": email, "password": factories.PASSWORD, "csrf_token": token}
    response = run.send(visitor, "POST", "/masuk", data=data, environ_overrides=run.new_address())
    return response is not None and response.status_code == 303


def logged_in(run: Run, visitor: Visitor) -> bool:
    response = run.send(visitor, "GET", "/profil")
    return response is not None and response.status_code == 200


def test_random_input_to_every_form_and_route_never_gets_a_5xx(app, client):
    started = time.perf_counter()
    factories.jht_rate(2018, "6.26")
    factories.jht_rate(2019, "6.08")
    email = member_with_cards()
    dewi, dewi_card = factories.newcomer()
    plausible = [
        email, "budi@contoh.id", factories.PASSWORD, "sandiBaru2026", dewi.nik, dewi.full_name,
        dewi.mother_name, dewi.birth_date.isoformat(), dewi_card.kpj, "081234567890", "PU",
        "BPU", "JAKON", "PMI", "99999999999", "1234567890123456", "2000-02-30",
    ]
    rng = random.Random(SEED)
    run = Run(Values(rng, plausible))

    anonymous = Visitor("anonymous", app.test_client())
    member = Visitor("member", client)
    assert log_in(run, member, email)
    routes = get_routes(app)
    for visitor in (anonymous, member):
        visitor.site = crawl(visitor.client)
        assert visitor.site.forms, f"no forms found as {visitor.name}"
    posts = [(visitor, form) for visitor in (anonymous, member)
             for (method, _), form in sorted(visitor.site.forms.items()) if method == "post"]
    assert {form.action.split("?")[0] for _, form in posts} >= {"/masuk", "/daftar", "/keluar"}

    for visitor in (anonymous, member):
        fuzz_gets(run, visitor, routes, sorted(visitor.site.pages))

    for number in range(FORM_POSTS):
        visitor, form = posts[number % len(posts)] if number < len(posts) else rng.choice(posts)
        if visitor.token is None:
            visitor.token = page_token(visitor.client, form.page)
        response = post_form(run, visitor, form)
        if response is None or response.status_code >= 400:
            continue
        if visitor is anonymous:
            # Somebody registered or logged in: be a stranger again.
            anonymous.client, anonymous.token = app.test_client(), None
        elif not logged_in(run, member):
            # Logged out (Keluar), or the password changed: back in, as a new member if need be.
            if not log_in(run, member, email):
                email = member_with_cards()
                assert log_in(run, member, email)
            member.token = None

    elapsed = time.perf_counter() - started
    print(f"\nfuzz ({db.engine.dialect.name}, seed {SEED}): {run.statuses.total()} requests, "
          f"{FORM_POSTS} of them random posts to {len(posts)} forms, {len(routes)} routes, "
          f"in {elapsed:.1f} s; answers: {dict(sorted(run.statuses.items()))}")
    assert not run.failures, f"{len(run.failures)} 5xx answers:\n" + "\n".join(run.failures[:20])
