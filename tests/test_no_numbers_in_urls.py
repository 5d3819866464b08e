"""DESIGN §7: KPJ numbers and NIKs never appear in URLs, because URLs end up in access
logs and browser history. A member's portal is crawled the way a user can walk it, and
every URL the server is asked for or sends the browser to is checked."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from flask import request, request_finished

from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db
from webapp.models import Account, Membership
from webapp.rules import Programme, has_programme

HTMX = {"HX-Request": "true"}
# A KPJ is 11 digits, a NIK 16: no run that long belongs in a URL.
PERSONAL_NUMBER = re.compile(r"\d{11,}")
URL_ATTRIBUTE = re.compile(r'\s(href|src|action|hx-get|hx-post)="(/[^"]*)"')
FOLLOWED = {"href": False, "hx-get": True}  # attribute → fetched as htmx would
NAVIGATION_HEADERS = ("Location", "HX-Redirect", "HX-Location")


@dataclass
class AccessLog:
    """What an access log would hold (path and query of each request) and the places
    the browser is sent to by a redirect or by htmx."""

    requested: list[str] = field(default_factory=list)
    sent_to: list[str] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)  # every URL written into a page

    def record(self, sender, response, **extra) -> None:
        self.requested.append(request.full_path.removesuffix("?"))
        self.sent_to += [response.headers[h] for h in NAVIGATION_HEADERS if h in response.headers]

    def every_url(self) -> list[str]:
        return self.requested + self.sent_to + sorted(self.linked)


@pytest.fixture
def access_log(app) -> Iterator[AccessLog]:
    log = AccessLog()
    with request_finished.connected_to(log.record, app):
        yield log


@pytest.fixture
def member(app, auth) -> tuple[Account, list[Membership]]:
    """Budi with three linked cards and, under his NIK, four matching unlinked ones and a
    closed one. Returns his account and the unlinked cards that can be added."""
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    linked = [
        factories.membership(person, registered_on=date(2019, 3, 1)),
        factories.membership(person, segment="BPU", status="NONAKTIF", employer_npp=None),
        factories.membership(person, segment="JAKON", status="NONAKTIF"),
    ]
    for month in range(1, 13):
        factories.contribution(linked[0], date(2020, month, 1))
    unlinked = [
        factories.membership(person, status="NONAKTIF", registered_on=date(2010 + i, 1, 4))
        for i in range(4)
    ]
    factories.membership(person, status="DIKLAIM")
    account = factories.account(person, *linked, email="budi@contoh.id")
    auth.login("budi@contoh.id")
    return account, unlinked


def links(page: str, *attributes: str) -> set[str]:
    """The same-site URLs in a page's attributes (all of them unless some are named)."""
    return {
        html.unescape(url)
        for attribute, url in URL_ATTRIBUTE.findall(page)
        if not attributes or attribute in attributes
    }


def crawl(client, log: AccessLog, start: str = "/") -> set[str]:
    """GET every same-site URL reachable from start by links (href; hx-get as htmx
    sends it), following redirects. Returns the URLs fetched."""
    queue, fetched = [(start, False)], set()
    while queue:
        url, as_htmx = queue.pop()
        if (url, as_htmx) in fetched:
            continue
        fetched.add((url, as_htmx))
        with client.get(url, headers=HTMX if as_htmx else {}) as response:
            page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            location = response.location
        if location:
            queue.append((location, False))
        log.linked |= links(page)
        for attribute, fetched_as_htmx in FOLLOWED.items():
            queue += [(link, fetched_as_htmx) for link in links(page, attribute)]
    return {url for url, _ in fetched}


def has_jht(card: Membership) -> bool:
    return has_programme(card.segment, Programme.JHT)


def owned(account: Account) -> list[Membership]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Membership).where(Membership.account_id == account.id)))


def add_by_number(client, card: Membership, as_htmx: bool):
    token = csrf_token(client, "/pengaturan/tambah-kpj?segmen=PU")
    headers = {**HTMX, "X-CSRFToken": token} if as_htmx else {}
    data = {"kpj": card.kpj, "segmen": card.segment, "csrf_token": token}
    return client.post("/pengaturan/tambah-kpj", data=data, headers=headers)


def add_found(client, as_htmx: bool):
    page = client.get("/pengaturan/temukan-kpj").get_data(as_text=True)
    ref = re.search(r'name="ref" value="([^"]+)"', page).group(1)  # the first card found
    token = csrf_token(client, "/pengaturan/temukan-kpj")
    headers = {**HTMX, "X-CSRFToken": token} if as_htmx else {}
    return client.post("/pengaturan/temukan-kpj", data={"ref": ref, "csrf_token": token},
                       headers=headers)


def test_no_url_of_the_portal_carries_a_kpj_or_a_nik(client, access_log, member):
    account, unlinked = member

    crawl(client, access_log)
    for response in (
        add_by_number(client, unlinked[0], as_htmx=False),
        add_by_number(client, unlinked[1], as_htmx=True),
        add_found(client, as_htmx=False),
        add_found(client, as_htmx=True),
    ):
        assert response.status_code in (200, 303)
        if response.location:
            client.get(response.location)
    fetched = crawl(client, access_log)

    cards = owned(account)
    assert len(cards) == 7, "every form above linked its card"
    for card in cards:
        for page in ("", "/cetak", *(("/laporan.csv",) if has_jht(card) else ())):
            assert f"/kartu/{card.link_ref}{page}" in fetched
    offending = [url for url in access_log.every_url() if PERSONAL_NUMBER.search(url)]
    assert offending == []


@pytest.mark.parametrize("start", ["/", "/profil"])
def test_card_pages_open_through_their_links_from_beranda_and_profil(client, member, start):
    account, _ = member
    cards = {f"/kartu/{card.link_ref}": card for card in owned(account)}
    card_links = {url for url in links(client.get(start).get_data(as_text=True), "href")
                  if url.startswith("/kartu/")}
    assert card_links == set(cards)

    for url, card in cards.items():
        response = client.get(url)
        card_page = response.get_data(as_text=True)
        assert response.status_code == 200 and f"KPJ {card.kpj}" in card_page
        assert f"{url}/cetak" in links(card_page, "href")
        # Only a card with JHT has a JHT statement to download (a JAKON card has none).
        assert (f"{url}/laporan.csv" in links(card_page, "href")) is has_jht(card)
        with client.get(f"{url}/laporan.csv") as csv:
            if has_jht(card):
                assert csv.status_code == 200 and csv.mimetype == "text/csv"
                assert card.kpj not in csv.headers["Content-Disposition"]
            else:
                assert csv.status_code == 404
        printable = client.get(f"{url}/cetak")
        assert printable.status_code == 200 and card.kpj in printable.get_data(as_text=True)
