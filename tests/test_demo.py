"""The demo dataset: committed files equal the generator's output, the money follows
webapp.rules, loading is idempotent, and every case in dataset.CASES really plays out."""

from __future__ import annotations

import csv
import re
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.security import check_password_hash

from tests import factories
from webapp.auth.services import CheckEmail, Registration, Verified, register, verify
from webapp.balances.services import today
from webapp.card.services import DigitalCard, digital_card
from webapp.claims.eligibility import eligibility, waiting_ends
from webapp.claims.terms import ONLINE_LIMIT
from webapp.demo import dataset, services
from webapp.demo.dataset import BUDI, Action, Outcome
from webapp.demo.generate import DATA_DIR, add_months, write_dataset
from webapp.demo.guide import case_line
from webapp.extensions import db
from webapp.formatting import mask_kpj
from webapp.identity import biodata_differences, nik_birth_date, nik_gender
from webapp.kpj.services import add_kpj, parse_add_request
from webapp.merge.services import NO_JHT_CARD, Merged, Plan, merge, plan
from webapp.models import (
    Account,
    ClaimKind,
    ClaimReason,
    Contribution,
    Employer,
    JhtRate,
    Membership,
    Person,
)
from webapp.rules import Programme, bpu_contribution, has_programme, pu_contribution

TABLES = (Person, Employer, Membership, Contribution, JhtRate, Account)


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def count(statement: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))


def row_counts() -> dict[str, int]:
    counts = {model.__tablename__: count(sa.select(model)) for model in TABLES}
    counts["linked"] = count(sa.select(Membership).where(Membership.account_id.is_not(None)))
    return counts


def account_for(person: dataset.PersonSpec) -> Account:
    return db.session.scalars(sa.select(Account).where(Account.nik == person.nik)).one()


# --- the committed files --------------------------------------------------------------------


def test_committed_files_equal_the_generator_output(tmp_path: Path) -> None:
    written = write_dataset(tmp_path)
    assert sorted(p.name for p in DATA_DIR.iterdir()) == sorted(p.name for p in written)
    for path in written:
        committed = (DATA_DIR / path.name).read_bytes()
        assert committed == path.read_bytes(), f"{path.name}: run `flask demo generate`"


def test_every_contribution_is_what_the_rules_compute_for_its_wage() -> None:
    risk = {row["npp"]: int(row["risk_class"]) for row in read_csv("employers.csv")}
    cards = {row["kpj"]: row for row in read_csv("memberships.csv")}
    rows = read_csv("contributions.csv")
    for row in rows:
        card, wage = cards[row["kpj"]], int(row["wage"])
        if card["segment"] in ("PU", "JAKON"):
            expected = pu_contribution(wage, month(row["period"]), risk[card["employer_npp"]])
        else:
            expected = bpu_contribution(wage)
        # The programmes the segment lacks are 0: the next test.
        covered = {key: amount for key, amount in expected.items()
                   if has_programme(card["segment"], Programme(key.upper()))}
        assert {key: int(row[key]) for key in covered} == covered, row
    assert len(rows) > 500


def test_every_contribution_pays_only_for_its_segments_programmes() -> None:
    segments = {row["kpj"]: row["segment"] for row in read_csv("memberships.csv")}
    rows = read_csv("contributions.csv")
    for row in rows:
        segment = segments[row["kpj"]]
        for programme in Programme:
            amount = int(row[programme.value.lower()])
            assert amount == 0 or has_programme(segment, programme), (programme, row)
    # Every segment has contributions, so each of them is checked.
    assert {segments[row["kpj"]] for row in rows} == {"PU", "BPU", "JAKON", "PMI"}


def test_contributions_are_monthly_paid_next_month_on_working_days() -> None:
    rows = read_csv("contributions.csv")
    delays = [months_between(month(r["period"]), date.fromisoformat(r["paid_on"])) for r in rows]
    paid = [date.fromisoformat(r["paid_on"]) for r in rows]
    assert all(day.weekday() < 5 for day in paid)
    assert min(delays) == 1 and max(delays) <= 3
    late = sum(delay > 1 for delay in delays)
    assert 0 < late < len(rows) // 20, "a few late payments"
    assert max(paid) < add_months(dataset.LAST_PERIOD, 2)
    assert max(month(r["period"]) for r in rows) == dataset.LAST_PERIOD


def test_wages_rise_only_in_january_and_a_gap_of_several_months_exists() -> None:
    by_card: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for row in read_csv("contributions.csv"):
        by_card[row["kpj"]].append((month(row["period"]), int(row["wage"])))
    longest_gap = 0
    for months in by_card.values():
        for (before, old), (after, new) in zip(months, months[1:]):
            assert new >= old
            assert new == old or after.year > before.year
            longest_gap = max(longest_gap, months_between(before, after) - 1)
    assert longest_gap >= 3


def test_wages_are_realistic_for_indonesia() -> None:
    wages = {
        (r["kpj"], r["period"][:4]): int(r["wage"]) for r in read_csv("contributions.csv")
    }
    # A warehouse worker near the Jakarta minimum wage; Budi as a supervisor.
    assert 5_000_000 <= wages[(dataset.AGUS_ACTIVE.kpj, "2026")] <= 6_000_000
    assert 8_000_000 <= wages[(dataset.BUDI_ACTIVE.kpj, "2026")] <= 15_000_000
    assert 2_200_000 <= wages[(dataset.BUDI_LOGISTIK.kpj, "2014")] <= 2_800_000


def test_jht_rates_cover_every_contribution_year_up_to_2025() -> None:
    rates = {int(r["year"]): r["rate"] for r in read_csv("jht_rates.csv")}
    first_paid = min(int(r["paid_on"][:4]) for r in read_csv("contributions.csv"))
    assert sorted(rates) == list(range(first_paid, 2026))
    assert {2016: "7.19", 2018: "6.26", 2019: "6.08", 2020: "5.59"}.items() <= rates.items()
    assert all(5.5 <= float(rate) <= 7.5 for rate in rates.values())


def test_niks_agree_with_birth_date_and_gender_and_kpjs_look_real() -> None:
    for person in dataset.PEOPLE:
        assert len(person.nik) == 16 and person.nik.isdigit()
        assert nik_birth_date(person.nik) == person.birth_date
        assert nik_gender(person.nik) == person.gender
    kpjs = [card.kpj for card in dataset.CARDS]
    assert len(set(kpjs)) == len(kpjs)
    assert all(len(kpj) == 11 and kpj.isdigit() for kpj in kpjs)


# --- the cases' data ------------------------------------------------------------------------


def test_budi_has_more_than_ten_years_of_monthly_contributions() -> None:
    budi_cards = {card.kpj for card in dataset.CARDS if card.owner == BUDI}
    months = [r for r in read_csv("contributions.csv") if r["kpj"] in budi_cards]
    assert len(months) >= 120


def test_mismatch_card_differs_only_by_a_near_miss_in_the_mothers_name() -> None:
    card, owner = dataset.SITI_TEKSTIL, dataset.SITI
    differences = biodata_differences(
        full_name=card.card_full_name,
        birth_date=owner.birth_date,
        mother_name=card.card_mother_name,
        person=Person(full_name=owner.full_name, mother_name=owner.mother_name,
                      birth_date=owner.birth_date),
    )
    assert [(d.field, d.likely_typo) for d in differences] == [("mother_name", True)]
    assert (card.owner.mother_name, card.card_mother_name) == ("NURHAYATI", "Nurhayti")


def test_punctuation_card_differs_from_the_population_name_only_in_spelling() -> None:
    assert dataset.RIZKY_OLD.card_full_name == "Muh. Rizky  Pratama"
    assert dataset.RIZKY.full_name == "MUH RIZKY PRATAMA"


# --- loading --------------------------------------------------------------------------------


def test_load_imports_the_data_and_is_idempotent(app: Flask, runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = row_counts()
    assert counts == {
        "population": len(dataset.PEOPLE),
        "employers": len(dataset.EMPLOYERS),
        "memberships": len(dataset.CARDS),
        "contributions": len(read_csv("contributions.csv")),
        "jht_rates": len(dataset.jht_rates()),
        "accounts": len(dataset.ACCOUNTS),
        "linked": sum(len(spec.linked) for spec in dataset.ACCOUNTS),
    }
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert row_counts() == counts
    assert "budi@contoh.id" in second.output


def test_load_sets_closed_statuses_and_links_the_accounts_cards(app: Flask) -> None:
    assert services.load_demo().ok
    for card in dataset.CARDS:
        membership = db.session.get_one(Membership, card.kpj)
        assert membership.status == card.status
    for spec in dataset.ACCOUNTS:
        account = account_for(spec.owner)
        assert account.email == spec.email
        linked = db.session.scalars(
            sa.select(Membership.kpj).where(Membership.account_id == account.id)
        ).all()
        assert sorted(linked) == sorted(card.kpj for card in spec.linked)
    refs = dict(db.session.execute(sa.select(Membership.kpj, Membership.link_ref)).all())
    linked_refs = [ref for kpj, ref in refs.items() if ref is not None]
    assert len(set(linked_refs)) == sum(len(spec.linked) for spec in dataset.ACCOUNTS)
    assert services.load_demo().ok
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Membership.kpj, Membership.link_ref)).all()) == refs


def test_demo_accounts_log_in_with_the_published_password(app: Flask) -> None:
    assert services.load_demo().ok
    hashes = {spec.email: account_for(spec.owner).password_hash for spec in dataset.ACCOUNTS}
    # scrypt is slow on purpose: a few checks are enough.
    assert check_password_hash(hashes["budi@contoh.id"], dataset.PASSWORD)
    assert check_password_hash(hashes["siti@contoh.id"], dataset.PASSWORD)
    assert not check_password_hash(hashes["budi@contoh.id"], "salah-123")
    assert all(h.startswith("scrypt:") for h in hashes.values())


def test_if_empty_loads_an_empty_database(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert row_counts()["accounts"] == len(dataset.ACCOUNTS)


def test_if_empty_leaves_existing_data_alone_but_prints_the_logins(
    app: Flask, runner: FlaskCliRunner
) -> None:
    factories.person()
    db.session.commit()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert row_counts()["population"] == 1
    assert row_counts()["accounts"] == 0
    assert "siti@contoh.id" in result.output


def test_load_stops_on_import_errors_and_changes_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "data"
    shutil.copytree(DATA_DIR, broken)
    rows = (broken / "memberships.csv").read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].replace(",PU,", ",XX,", 1)
    (broken / "memberships.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(services, "DATA_DIR", broken)

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "memberships.csv:2: segment:" in result.stderr
    assert set(row_counts().values()) == {0}


def test_logins_lists_every_case_and_what_registration_needs(runner: FlaskCliRunner) -> None:
    output = runner.invoke(args=["demo", "logins"]).output
    assert dataset.PASSWORD in output
    for case in dataset.CASES:
        assert case_line(case) in output
    dewi = dataset.DEWI
    for value in (dewi.nik, dewi.full_name, dewi.mother_name, dewi.birth_date.isoformat(),
                  dataset.DEWI_ACTIVE.kpj):
        assert value in output


# --- every case plays out ---------------------------------------------------------------------


def _register(case: dataset.Case) -> CheckEmail | dict[str, str]:
    person = case.person
    return register(
        Registration(
            nik=person.nik,
            full_name=person.full_name.title(),
            birth_date=person.birth_date,
            mother_name=person.mother_name,
            kpj=case.kpj,
            email=dataset.DEWI_EMAIL,
            phone="081298760005",
            password=dataset.PASSWORD,
        )
    )


def _check_claim(case: dataset.Case, account: Account, as_of: date) -> None:
    """Exactly the lines the case names are red; an open claim is online or by video."""
    verdict = eligibility(account, as_of, case.reason)
    red = {check.key: check for check in verdict.blocking()}
    if case.outcome is Outcome.CLAIM_BLOCKED:
        assert set(red) == set(case.blocked_by), (case, red)
        assert case.card is not None
        for key in {"active", "linked"} & set(red):  # the line names the card to act on
            assert mask_kpj(case.card.kpj) in red[key].text, (case, red[key])
        return
    assert not red, (case, red)
    assert (verdict.gross <= ONLINE_LIMIT) is (case.outcome is Outcome.CLAIM_ONLINE), verdict.gross


def _check_partial(case: dataset.Case, account: Account, as_of: date) -> None:
    verdict = eligibility(account, as_of, kind=ClaimKind.PARTIAL_10)
    assert verdict.eligible and verdict.gross > 0, (case, verdict.blocking())


def _check_merge(case: dataset.Case, account: Account, as_of: date) -> None:
    """A planned merge is also carried out, as the visitor would: later cases follow it."""
    planned = plan(account, as_of)
    if case.outcome is Outcome.NO_JHT_CARD:
        assert planned == NO_JHT_CARD, case
        return
    assert isinstance(planned, Plan) and planned.sources, (case, planned)
    assert case.card is not None and planned.target.kpj == case.card.kpj
    merged = merge(account, list(planned.refs), as_of)
    assert isinstance(merged, Merged) and merged.moved == planned.total_moved


def _check_card(case: dataset.Case, account: Account, as_of: date) -> None:
    digital = digital_card(account)
    if case.outcome is Outcome.NONE_ACTIVE:
        assert not isinstance(digital, DigitalCard) and digital.value == case.outcome.value
        return
    assert isinstance(digital, DigitalCard) and case.card is not None, case
    assert digital.card.kpj == case.card.kpj
    assert (Programme.JHT in digital.programmes) is has_programme(
        case.card.segment, Programme.JHT
    )


PORTAL_CHECKS = {
    Action.KLAIM_JHT: _check_claim,
    Action.KLAIM_SEBAGIAN: _check_partial,
    Action.GABUNG_SALDO: _check_merge,
    Action.KARTU_DIGITAL: _check_card,
}


def _check_tambah(case: dataset.Case) -> None:
    assert case.segment is not None
    request = parse_add_request(case.kpj, case.segment.value)
    if case.outcome is Outcome.FIELD_ERROR:
        assert isinstance(request, dict) and "kpj" in request, case
        return
    assert not isinstance(request, dict)
    result = add_kpj(account_for(case.person), request)
    assert result.outcome.value == case.outcome.value, case


def _activate(smtp) -> Verified:
    [message] = smtp.wait_for(1)
    token = re.search(r"/daftar/aktifkan/([A-Za-z0-9_\-]+)", message.get_content()).group(1)
    return verify(token)


def test_every_case_plays_out_through_the_real_services(app: Flask, smtp) -> None:
    """In the order of dataset.CASES, on the real date, as a visitor would find them."""
    assert services.load_demo().ok
    for case in dataset.CASES:
        if case.action is Action.DAFTAR:
            # Registration e-mails a full URL and signs the new account in: a request.
            with app.test_request_context():
                assert isinstance(_register(case), CheckEmail), case
                assert isinstance(_activate(smtp), Verified), case
        elif case.action is Action.TAMBAH_KPJ:
            _check_tambah(case)
        else:
            PORTAL_CHECKS[case.action](case, account_for(case.person), today())


def test_the_demo_shows_each_claim_merge_and_card_case() -> None:
    """Issue point 9: every case a visitor should be able to try is in the list."""
    shown = {(case.action, case.outcome, case.blocked_by) for case in dataset.CASES}
    assert {
        (Action.KLAIM_JHT, Outcome.CLAIM_ONLINE, ()),
        (Action.KLAIM_JHT, Outcome.CLAIM_VIDEO, ()),
        (Action.KLAIM_JHT, Outcome.CLAIM_BLOCKED, ("active",)),
        (Action.KLAIM_JHT, Outcome.CLAIM_BLOCKED, ("linked",)),
        (Action.KLAIM_JHT, Outcome.CLAIM_BLOCKED, ("waiting",)),
        (Action.GABUNG_SALDO, Outcome.MERGE_PLANNED, ()),
        (Action.KLAIM_SEBAGIAN, Outcome.PARTIAL_OPEN, ()),
        (Action.GABUNG_SALDO, Outcome.NO_JHT_CARD, ()),
        (Action.KARTU_DIGITAL, Outcome.CARD_SHOWN, ()),
        (Action.KARTU_DIGITAL, Outcome.NONE_ACTIVE, ()),
    } <= shown


def test_the_jakon_worker_has_only_jakon_cards_and_no_jht() -> None:
    person = dataset.SUPRIYADI
    cards = [card for card in dataset.CARDS if card.owner == person]
    assert cards and {card.segment for card in cards} == {"JAKON"}
    assert dataset.account_of(person).linked == tuple(cards)
    rows = [r for r in read_csv("contributions.csv") if r["kpj"] in {c.kpj for c in cards}]
    assert rows and all(int(r["jht"]) == 0 and int(r["jp"]) == 0 for r in rows)
    assert not has_programme("JAKON", Programme.JHT)


def test_the_online_claim_stays_under_the_limit_for_ten_years(app: Flask) -> None:
    """Development grows the balance on the real date: the case must not drift over."""
    assert services.load_demo().ok
    later = today() + timedelta(days=3652)
    verdict = eligibility(account_for(dataset.YULIANA), later, ClaimReason.MENGUNDURKAN_DIRI)
    assert verdict.eligible and 0 < verdict.gross <= ONLINE_LIMIT


def test_the_loader_ends_the_waiting_card_ten_days_before_the_load_day(app: Flask) -> None:
    card, account = dataset.ANDI_CONTRACT, dataset.account_of(dataset.ANDI)
    assert card.ends_days_before_load == 10 and account and card in account.linked
    day = date(2031, 3, 3)
    assert services.load_demo(day=day).ok
    assert services.load_demo(day=day).ok  # idempotent
    membership = db.session.get_one(Membership, card.kpj)
    assert membership.ended_on == date(2031, 2, 21)
    assert waiting_ends([membership]) == date(2031, 3, 21)
    verdict = eligibility(account_for(dataset.ANDI), day, ClaimReason.HABIS_KONTRAK)
    assert [check.key for check in verdict.blocking()] == ["waiting"]


def test_the_other_persons_card_is_registered_under_another_nik() -> None:
    not_found = [c for c in dataset.CASES if c.outcome is Outcome.NOT_FOUND]
    assert not_found and all(c.card and c.card.owner.nik != c.person.nik for c in not_found)


def test_the_closed_cases_use_closed_cards() -> None:
    closed = [c.card for c in dataset.CASES if c.outcome is Outcome.CLOSED]
    assert {c.status for c in closed if c} == {"DIKLAIM", "DIGABUNG"}
