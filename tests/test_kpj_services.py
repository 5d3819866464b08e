"""Tambah KPJ rules (§3.6) without HTTP."""

import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from webapp.extensions import db
from webapp.formatting import mask_kpj
from webapp.kpj import services
from webapp.kpj.messages import describe
from webapp.kpj.services import AddRequest, Outcome, add_kpj, parse_add_request
from webapp.models import Account, Membership, Segment, Transaction


@pytest.fixture
def owner(app):
    person = factories.person(full_name="BUDI SANTOSO", mother_name="SITI AMINAH")
    active = factories.membership(person)
    account = factories.account(person, active)
    return account


def add(account, kpj, segment="PU"):
    return add_kpj(account, AddRequest(kpj=kpj, segment=Segment(segment)))


def transactions():
    return db.session.scalars(sa.select(Transaction).order_by(Transaction.id)).all()


@pytest.mark.parametrize(
    ("kpj", "segment", "errors"),
    [
        ("", "PU", {"kpj"}),
        ("1234567890", "PU", {"kpj"}),
        ("123456789012", "PU", {"kpj"}),
        ("1234567890a", "PU", {"kpj"}),
        ("١٢٣٤٥٦٧٨٩٠١", "PU", {"kpj"}),  # Arabic-Indic digits are not a KPJ
        ("12345678901\n", "PU", set()),  # surrounding whitespace is ignored
        ("12345678901", "", {"segmen"}),
        ("12345678901", "XYZ", {"segmen"}),
        (None, None, {"kpj", "segmen"}),
    ],
)
def test_field_errors_are_reported_per_field(kpj, segment, errors):
    result = parse_add_request(kpj, segment)
    assert (set(result) if isinstance(result, dict) else set()) == errors


def test_spaces_and_dashes_in_a_typed_number_are_ignored():
    assert parse_add_request(" 1234-5678 901 ", "BPU") == AddRequest("12345678901", Segment.BPU)


def test_an_old_card_of_the_same_person_is_linked(owner):
    old = factories.membership(owner.person, status="NONAKTIF")
    result = add(owner, old.kpj)
    assert result.outcome is Outcome.LINKED
    linked = db.session.get(Membership, old.kpj)
    assert linked.account_id == owner.id
    assert linked.linked_at is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", linked.link_ref)
    assert [(t.status, t.reason, t.kpj) for t in transactions()] == [
        ("BERHASIL", "LINKED", old.kpj)
    ]
    assert describe(result.transaction).title == "Transaksi berhasil"


def test_every_link_gets_a_fresh_random_ref(owner):
    refs = {services.link_values(owner.id)["link_ref"] for _ in range(100)}
    assert len(refs) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", ref) for ref in refs)


def test_a_found_reference_is_bound_to_the_key_the_account_and_the_card(owner):
    card = factories.membership(owner.person, status="NONAKTIF")
    ref = services.found_reference("key", owner.id, card.kpj)

    assert services.referenced_card("key", owner, ref) is card
    assert services.referenced_card("another key", owner, ref) is None
    assert services.found_reference("key", owner.id + 1, card.kpj) != ref
    assert services.found_reference("key", owner.id, card.kpj) == ref  # needs no storage


def test_unknown_other_nik_and_linked_elsewhere_get_one_identical_answer(owner):
    stranger = factories.person(full_name="AGUS WIJAYA")
    strangers_card = factories.membership(stranger, status="NONAKTIF")
    other_account_card = factories.membership(stranger)
    other_account = factories.account(stranger, other_account_card)
    # A card of the owner's NIK that another account somehow holds.
    held = factories.link(factories.membership(owner.person, status="NONAKTIF"), other_account)
    db.session.commit()

    results = [add(owner, kpj) for kpj in ("99999999999", strangers_card.kpj, other_account_card.kpj, held.kpj)]

    assert {r.outcome for r in results} == {Outcome.NOT_FOUND}
    notices = {(n.level, n.title, n.text.replace(mask_kpj(r.transaction.kpj), "#")) for r in results for n in [describe(r.transaction)]}
    assert len(notices) == 1, "the answer must not differ with the reason"
    assert {t.detail for t in transactions()} == {None}


def test_wrong_segment_says_which_segment_to_choose(owner):
    jakon = factories.membership(owner.person, segment="JAKON", status="NONAKTIF")
    result = add(owner, jakon.kpj, "PU")
    assert result.outcome is Outcome.WRONG_SEGMENT
    notice = describe(result.transaction)
    assert "Pilih segmen JAKON" in notice.text
    assert db.session.get(Membership, jakon.kpj).account_id is None


def test_segment_is_checked_before_anything_about_the_card_state(owner):
    closed = factories.membership(owner.person, segment="BPU", status="DIKLAIM")
    assert add(owner, closed.kpj, "PU").outcome is Outcome.WRONG_SEGMENT


def test_a_card_already_linked_to_this_account_is_not_an_error(owner):
    card = owner_card(owner)
    result = add(owner, card.kpj)
    assert result.outcome is Outcome.ALREADY_LINKED
    assert result.transaction.status == "BERHASIL"
    assert describe(result.transaction).level == "info"


def owner_card(account):
    return db.session.scalar(sa.select(Membership).where(Membership.account_id == account.id))


@pytest.mark.parametrize(("status", "words"), [("DIKLAIM", "sudah diklaim"), ("DIGABUNG", "digabungkan")])
def test_closed_cards_cannot_be_added_and_say_why(owner, status, words):
    closed = factories.membership(owner.person, status=status)
    result = add(owner, closed.kpj)
    assert result.outcome is Outcome.CLOSED
    assert words in describe(result.transaction).text
    assert db.session.get(Membership, closed.kpj).account_id is None


def test_biodata_mismatch_names_each_differing_field(owner):
    card = factories.membership(
        owner.person, status="NONAKTIF", mother_name="SITI AMINA", birth_date=date(1990, 2, 1)
    )
    result = add(owner, card.kpj)
    assert result.outcome is Outcome.BIODATA_MISMATCH
    notice = describe(result.transaction)
    assert "Tanggal Lahir" in notice.text
    assert "Nama Ibu Kandung (kemungkinan perbedaan ejaan)" in notice.text
    assert "Nama Lengkap" not in notice.text
    assert any("Dukcapil" in step for step in notice.steps)
    assert db.session.get(Membership, card.kpj).account_id is None


def test_punctuation_and_spacing_in_names_still_match(owner):
    card = factories.membership(owner.person, status="NONAKTIF", full_name="Budi  Santoso.")
    assert add(owner, card.kpj).outcome is Outcome.LINKED


def test_every_attempt_is_recorded_in_order(owner):
    card = factories.membership(owner.person, status="NONAKTIF")
    add(owner, "99999999999")
    add(owner, card.kpj)
    add(owner, card.kpj)
    assert [t.reason for t in transactions()] == ["NOT_FOUND", "LINKED", "ALREADY_LINKED"]


def test_two_accounts_racing_for_one_kpj_the_database_picks_one(app, monkeypatch):
    """Two accounts pass every check for the same card at the same moment; only the
    conditional UPDATE decides. Both people carry the same biodata, and the second
    account is given the first one's NIK in memory only (one account per NIK holds in the
    database), so the real checks pass for both. A barrier holds each request between its
    checks and its link until the other has checked too."""
    first = factories.person()
    second = factories.person()
    card = factories.membership(first, status="NONAKTIF")
    account_ids = [factories.account(first).id, factories.account(second).id]
    barrier = threading.Barrier(2, timeout=10)
    real_link = services._link
    waited = threading.local()

    def link_together(account, kpj):
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return real_link(account, kpj)

    monkeypatch.setattr(services, "_link", link_together)
    outcomes: dict[int, Outcome] = {}

    def attempt(account_id):
        with app.app_context():
            account = db.session.get(Account, account_id)
            account.person  # loaded before the object leaves the session
            db.session.expunge(account)
            account.nik = first.nik
            outcomes[account_id] = add(account, card.kpj).outcome
            db.session.remove()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in account_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    db.session.expire_all()
    winner = db.session.get(Membership, card.kpj).account_id
    loser = next(a for a in account_ids if a != winner)
    assert outcomes[winner] is Outcome.LINKED
    assert outcomes[loser] in (Outcome.NOT_FOUND, Outcome.BUSY)
    assert sum(t.reason == "LINKED" for t in transactions()) == 1
