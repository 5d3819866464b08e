"""Beranda and a card page cost at most three SQL statements, every one counted (the
session with its account, the cards, the ledger), however many cards, years of
contributions, portal entries or unread notifications the participant has (issue 10)."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories as f
from tests.conftest import AuthActions
from tests.querycount import count_queries
from webapp.balances import services
from webapp.extensions import db
from webapp.formatting import rupiah
from webapp.models import LedgerEntry, LedgerKind, Notification, NotificationKind

TODAY = date(2026, 3, 16)
BUDGET = 3


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def years_of_contributions(card, first: int, last: int) -> None:
    for year in range(first, last + 1):
        for month in range(1, 13):
            if (year, month) < (TODAY.year, TODAY.month):
                f.contribution(card, date(year, month, 1))


@pytest.fixture
def participant(app, today, client):
    """Three cards: ten years of monthly contributions on the active one, an older one
    merged into it (so the ledger has portal entries), a JAKON card without JHT; three
    unread notifications. Signed in, the welcome toast already shown."""
    for year in range(2000, TODAY.year):
        f.jht_rate(year, "5.50")
    person = f.person()
    active = f.membership(person, registered_on=date(2016, 1, 4))
    merged = f.membership(person, registered_on=date(2010, 1, 4), status="DIGABUNG", merged_into=active.kpj)
    jakon = f.membership(person, segment="JAKON", registered_on=date(2024, 5, 2))
    years_of_contributions(active, 2016, TODAY.year)
    years_of_contributions(merged, 2010, 2015)
    account = f.account(person, active, merged, jakon)
    db.session.add_all([
        LedgerEntry(kpj=merged.kpj, kind=LedgerKind.MERGE_OUT, amount=20_000_000,
                    booked_on=date(2025, 6, 2), counterpart_kpj=active.kpj),
        LedgerEntry(kpj=active.kpj, kind=LedgerKind.MERGE_IN, amount=20_000_000,
                    booked_on=date(2025, 6, 2), counterpart_kpj=merged.kpj),
        *[Notification(account_id=account.id, kind=NotificationKind.CLAIM_STAGE) for _ in range(3)],
    ])
    db.session.commit()
    AuthActions(client).login(account.email)
    client.get("/")  # the welcome toast
    return {"active": active, "merged": merged, "jakon": jakon}


def counted_get(client, path: str):
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True), queries


def test_beranda_takes_two_statements(client, participant):
    """The session with its account, then the ledger's one statement, which finds the
    account's cards itself and lists them with their money."""
    page, queries = counted_get(client, "/")
    assert queries.count == 2, queries.statements
    balances = services.jht_summaries([card.kpj for card in participant.values()], TODAY)
    active = participant["active"].kpj
    assert balances[active].balance > 20_000_000
    assert rupiah(balances[active].balance) in page
    assert '<span class="tabbar__badge">3</span>' in page  # the unread count came along


def test_a_card_page_with_ten_years_takes_at_most_three_statements(client, participant):
    card = participant["active"]
    page, queries = counted_get(client, f"/kartu/{card.link_ref}")
    assert queries.count <= BUDGET, queries.statements
    statement = services.card_statement(card.kpj, TODAY)
    assert len(statement.jht.years) == 11 and statement.jp.months == 10 * 12 + 2
    assert rupiah(statement.jht.balance) in page
    assert '<span class="tabbar__badge">3</span>' in page


def test_a_merged_card_shows_where_its_money_went_within_the_budget(client, participant):
    page, queries = counted_get(client, f"/kartu/{participant['merged'].link_ref}")
    assert queries.count <= BUDGET, queries.statements
    assert "Saldo Rp 20.000.000 digabungkan ke KPJ" in page


def test_the_budget_does_not_grow_with_years(client, participant):
    card = participant["active"]
    _, before = counted_get(client, f"/kartu/{card.link_ref}")
    years_of_contributions(card, 1996, 2015)  # twenty more years
    db.session.commit()
    _, after = counted_get(client, f"/kartu/{card.link_ref}")
    assert before.count == after.count <= BUDGET


def test_beranda_lists_what_the_cards_and_their_ledgers_say(app, participant):
    """beranda_of reads the cards with the ledger; it must agree with the account's cards
    as linked_cards lists them and with each card's summary read on its own."""
    from webapp.kpj.services import linked_cards
    from webapp.models import Account

    other = f.person()
    f.account(other, f.membership(other), email="lain@contoh.id")  # another account's card
    db.session.commit()
    account = db.session.get(Account, participant["active"].account_id)
    home = services.beranda_of(account.id, TODAY)
    expected = linked_cards(account)
    assert [card.kpj for card in home.cards] == [card.kpj for card in expected]
    for mine, theirs in zip(home.cards, expected):
        assert (mine.status, mine.segment, mine.link_ref, mine.registered_on, mine.ended_on,
                mine.merged_into, mine.employer_name, mine.segment_enum) == (
            theirs.status, theirs.segment, theirs.link_ref, theirs.registered_on, theirs.ended_on,
            theirs.merged_into, theirs.employer_name, theirs.segment_enum)
    assert home.summaries == services.jht_summaries([card.kpj for card in expected], TODAY)
    assert home.total == sum(summary.balance for summary in home.summaries.values()) > 20_000_000


def test_beranda_of_an_account_without_cards_is_empty(app):
    person = f.person()
    account = f.account(person, email="kosong@contoh.id")
    db.session.commit()
    home = services.beranda_of(account.id, TODAY)
    assert home.cards == [] and home.summaries == {} and home.total == 0


def test_cards_of_the_same_day_are_listed_alike_everywhere(app):
    from webapp.kpj.services import linked_cards

    person = f.person()
    cards = [f.membership(person, registered_on=date(2020, 1, 6)) for _ in range(3)]
    account = f.account(person, *cards, email="sama@contoh.id")
    db.session.commit()
    by_kpj = sorted(card.kpj for card in cards)
    assert [card.kpj for card in services.beranda_of(account.id, TODAY).cards] == by_kpj
    assert [card.kpj for card in linked_cards(account)] == by_kpj
