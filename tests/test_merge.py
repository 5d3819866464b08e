"""Gabung saldo (DESIGN §3.9): the plan, the money moved as ledger entries, conservation
to the rupiah, once only, and only the user's own cards with JHT."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.conftest import AuthActions, csrf_token
from webapp import ledger
from webapp.extensions import db
from webapp.kpj.services import AddRequest, Outcome, add_kpj
from webapp.merge import services
from webapp.models import LedgerEntry, Membership, Segment, Transaction

DAY = date(2026, 11, 24)


def worked(card, year_from=2016, years=4, jht=150_000):
    for year in range(year_from, year_from + years):
        for month in (2, 7, 11):
            f.contribution(card, date(year, month, 1), jht=jht)


@pytest.fixture
def budi(app):
    """An AKTIF card (target), two NONAKTIF cards with balances, a JAKON card."""
    f.jht_rate(2016, "7.19")
    f.jht_rate(2018, "6.26")
    person = f.person(full_name="BUDI SANTOSO")
    active = f.membership(person, registered_on=date(2021, 3, 1))
    old = f.membership(person, status="NONAKTIF", registered_on=date(2012, 5, 2), ended_on=date(2016, 1, 31))
    older = f.membership(person, status="NONAKTIF", registered_on=date(2016, 3, 1), ended_on=date(2020, 12, 31))
    jakon = f.membership(person, segment="JAKON", status="NONAKTIF", registered_on=date(2011, 1, 1))
    worked(old, 2013, 3)
    worked(older, 2016, 5)
    worked(active, 2021, 5)
    account = f.account(person, active, old, older, jakon, email="budi@contoh.id")
    db.session.commit()
    return account, active, old, older, jakon


def total(kpjs, day=DAY):
    return sum(ledger.values_on(kpjs, day).values())


def test_the_plan_targets_the_active_card_and_lists_each_amount(budi):
    account, active, old, older, jakon = budi
    plan = services.plan(account, DAY)
    assert plan.target.kpj == active.kpj
    assert [s.card.kpj for s in plan.sources] == [old.kpj, older.kpj]
    values = ledger.values_on([old.kpj, older.kpj, active.kpj], DAY)
    assert [s.amount for s in plan.sources] == [values[old.kpj], values[older.kpj]]
    assert plan.total_after == sum(values.values())
    assert jakon.kpj not in [s.card.kpj for s in plan.sources], "JAKON has no JHT"


def test_with_no_active_card_the_earliest_is_the_target(app):
    person = f.person()
    late = f.membership(person, status="NONAKTIF", registered_on=date(2018, 1, 1))
    early = f.membership(person, status="NONAKTIF", registered_on=date(2010, 1, 1))
    worked(late, 2018, 2)
    worked(early, 2011, 2)
    account = f.account(person, late, early)
    plan = services.plan(account, DAY)
    assert plan.target.kpj == early.kpj
    assert [s.card.kpj for s in plan.sources] == [late.kpj]


def test_merging_moves_every_rupiah_and_closes_the_sources(budi):
    account, active, old, older, jakon = budi
    kpjs = [active.kpj, old.kpj, older.kpj]
    before = total(kpjs)
    plan = services.plan(account, DAY)
    result = services.merge(account, list(plan.refs), DAY)
    assert isinstance(result, services.Merged)
    assert total(kpjs) == before
    books = ledger.ledgers(kpjs, DAY)
    assert books[old.kpj].value == books[older.kpj].value == 0
    assert books[old.kpj].closed and books[old.kpj].current.closing == 0
    assert books[active.kpj].value == plan.total_after
    for card in (old, older):
        stored = db.session.get(Membership, card.kpj)
        assert (stored.status, stored.merged_into) == ("DIGABUNG", active.kpj)
    assert db.session.get(Membership, active.kpj).member_since == date(2012, 5, 2)
    assert db.session.get(Membership, jakon.kpj).status == "NONAKTIF"
    entries = db.session.scalars(sa.select(LedgerEntry)).all()
    assert sorted(e.kind for e in entries) == ["MERGE_IN", "MERGE_IN", "MERGE_OUT", "MERGE_OUT"]
    assert sum(e.amount for e in entries if e.kind == "MERGE_OUT") == result.moved
    tx = db.session.scalar(sa.select(Transaction))
    assert (tx.kind, tx.status, tx.kpj) == ("GABUNG_SALDO", "BERHASIL", active.kpj)


def test_a_repeated_confirmation_merges_once(budi):
    account, active, *_ = budi
    refs = list(services.plan(account, DAY).refs)
    assert isinstance(services.merge(account, refs, DAY), services.Merged)
    again = services.merge(account, refs, DAY)
    assert isinstance(again, services.Changed)
    assert again.plan == services.NOTHING_TO_MERGE
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 4


def test_two_confirmations_at_once_merge_once(app, budi):
    account, active, old, older, _ = budi
    refs = list(services.plan(account, DAY).refs)
    kpjs = [active.kpj, old.kpj, older.kpj]
    before = total(kpjs)
    account_id = account.id  # read here: the instance belongs to this thread's session
    barrier = threading.Barrier(2, timeout=20)
    results = []

    def confirm() -> None:
        with app.app_context():
            me = db.session.get(type(account), account_id)
            barrier.wait()
            results.append(type(services.merge(me, refs, DAY)).__name__)
            db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["Changed", "Merged"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 4
    assert total(kpjs) == before


def test_someone_elses_card_or_a_jakon_card_cannot_be_merged(budi):
    account, active, old, older, jakon = budi
    jakon.link_ref = jakon.link_ref or "jakon-ref"
    stranger = f.person()
    theirs = f.membership(stranger, status="NONAKTIF")
    worked(theirs, 2016, 2)
    f.account(stranger, theirs)
    own = list(services.plan(account, DAY).refs)
    for forged in ([*own, theirs.link_ref], [*own, jakon.link_ref], [theirs.link_ref]):
        assert isinstance(services.merge(account, forged, DAY), services.Changed)
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 0
    assert db.session.get(Membership, theirs.kpj).status == "NONAKTIF"


def test_tambah_kpj_of_a_merged_card_names_its_target_masked(budi):
    account, active, old, *_ = budi
    services.merge(account, list(services.plan(account, DAY).refs), DAY)
    db.session.execute(sa.update(Membership).where(Membership.kpj == old.kpj).values(account_id=None))
    db.session.commit()
    result = add_kpj(account, AddRequest(kpj=old.kpj, segment=Segment.PU))
    assert result.outcome is Outcome.CLOSED
    from webapp.kpj.messages import describe

    text = describe(result.transaction).text
    assert "digabungkan" in text and f"{active.kpj[:2]}•••••{active.kpj[-4:]}" in text


# --- through the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_the_page_shows_the_plan_and_confirming_merges(client, budi, htmx):
    account, active, old, older, _ = budi
    AuthActions(client).login("budi@contoh.id")
    page = client.get("/pengaturan/gabung-saldo").get_data(as_text=True)
    assert active.kpj in page and old.kpj in page and older.kpj in page
    assert "pengembangan tahun ini" in page  # the amount rule is stated
    plan = services.plan(account, ledger_today())
    form = {"csrf_token": csrf_token(client, "/pengaturan/gabung-saldo"), "sumber": list(plan.refs)}
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/pengaturan/gabung-saldo", data=form, headers=headers)
    target = f"/kartu/{active.link_ref}"
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == target
    else:
        assert response.status_code == 303 and response.headers["Location"] == target
    assert "Saldo berhasil digabung" in client.get(target).get_data(as_text=True)
    history = client.get("/riwayat").get_data(as_text=True)
    assert "Gabung saldo ke KPJ" in history and "DIGABUNG" in history
    again = client.post("/pengaturan/gabung-saldo", data=form)
    assert again.status_code == 409 and "Tidak ada saldo yang perlu digabung" in again.get_data(as_text=True)


def ledger_today():
    from webapp.balances.services import today

    return today()


# --- the property: conservation over random ledgers -------------------------------------------

contribution_amounts = st.lists(
    st.tuples(st.integers(2012, 2025), st.integers(1, 12), st.integers(0, 2_000_000)),
    min_size=0, max_size=12, unique_by=lambda paid: paid[:2],  # one row per period
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cards=st.lists(contribution_amounts, min_size=2, max_size=4),
    rates=st.dictionaries(st.integers(2012, 2026), st.decimals("0", "9.99", places=2), max_size=6),
    merge_day=st.dates(date(2024, 1, 1), date(2026, 11, 30)),
    later=st.integers(1, 700),
)
def test_a_merge_conserves_the_total_to_the_rupiah_and_the_statement_continues(
    app, cards, rates, merge_day, later
):
    from datetime import timedelta

    from tests.conftest import _empty_tables

    db.session.remove()  # end the session's transaction: TRUNCATE waits for every reader
    _empty_tables()
    for year, rate in rates.items():
        f.jht_rate(year, str(rate))
    person = f.person()
    memberships = [f.membership(person, registered_on=date(2010, 1, 1))]
    memberships += [f.membership(person, status="NONAKTIF", registered_on=date(2011, i + 1, 1)) for i in range(len(cards) - 1)]
    for card, paid in zip(memberships, cards):
        for year, month, amount in paid:
            on = date(year, month, 5)
            if on <= merge_day:
                f.contribution(card, on, jht=amount)
    account = f.account(person, *memberships)
    kpjs = [card.kpj for card in memberships]
    before = total(kpjs, merge_day)
    plan = services.plan(account, merge_day)
    if isinstance(plan, services.Nothing):
        return
    assert isinstance(services.merge(account, list(plan.refs), merge_day), services.Merged)
    assert total(kpjs, merge_day) == before
    # Later, the target's statement runs on from what it received, year after year.
    day = merge_day + timedelta(days=later)
    book = ledger.ledgers([memberships[0].kpj], day)[memberships[0].kpj]
    merge_year = next(row for row in book.years if row.year == merge_day.year)
    assert merge_year.transfers == plan.total_moved
    for previous, row in zip(book.years, book.years[1:]):
        assert row.opening == previous.closing
        assert row.closing == row.opening + row.contributions + row.transfers + row.development
    for source in plan.sources:
        assert ledger.values_on([source.card.kpj], day)[source.card.kpj] == 0


def test_a_merged_card_shows_rp_0_and_where_its_money_went(client, budi):
    account, active, old, *_ = budi
    plan = services.plan(account, ledger_today())
    moved = dict((s.card.kpj, s.amount) for s in plan.sources)[old.kpj]
    services.merge(account, list(plan.refs), ledger_today())
    AuthActions(client).login("budi@contoh.id")
    page = client.get(f"/kartu/{old.link_ref}").get_data(as_text=True)
    masked = f"{active.kpj[:2]}•••••{active.kpj[-4:]}"
    assert "Rp 0" in page
    assert f"digabungkan ke KPJ {masked}" in page and f"Saldo Rp {moved:,}".replace(",", ".") in page
    home = client.get("/").get_data(as_text=True)
    assert f"Saldo digabung ke KPJ {masked}" in home
    target = client.get(f"/kartu/{active.link_ref}").get_data(as_text=True)
    assert "mutasi +" in target
