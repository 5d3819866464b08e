"""Loading the demo: the committed CSV files go through the real registry import, then the
portal-side state the registry cannot carry is applied: closed statuses, the end of the
card whose claim waiting period is shown, accounts and their linked cards. Both steps are
idempotent, so loading twice on one day changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from webapp.balances.services import today
from webapp.demo import dataset, officers, requests
from webapp.demo.dataset import AccountSpec
from webapp.demo.generate import DATA_DIR
from webapp.extensions import db
from webapp.kpj.services import link_values
from webapp.models import Account, Membership, Person
from webapp.registry.services import import_directory


@dataclass
class LoadResult:
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # file name → rows read
    skipped: bool = False  # --if-empty found data already there

    @property
    def ok(self) -> bool:
        return not self.errors


def has_population() -> bool:
    return db.session.scalar(sa.select(Person.nik).limit(1)) is not None


def load_demo(
    *, if_empty: bool = False, directory: Path | None = None, day: date | None = None
) -> LoadResult:
    """`day` is the day the demo is loaded on: today (the ledger's day) unless a test says."""
    if if_empty and has_population():
        return LoadResult(skipped=True)
    imported = import_directory(directory or DATA_DIR)
    if not imported.ok:
        return LoadResult(errors=[str(problem) for problem in imported.errors])
    apply_portal_state(day or today())
    requests.file_pending()  # the officers' queues: one pending request of each kind
    return LoadResult(counts=dict(imported.counts))


def apply_portal_state(day: date) -> None:
    close_cards()
    end_cards_before(day)
    missing = [spec for spec in dataset.ACCOUNTS if _account(spec) is None]
    password_hash = None
    if missing:
        # Every demo account has the same published password: one slow hash is enough.
        password_hash = generate_password_hash(dataset.PASSWORD)
        db.session.add_all(_new_account(spec, password_hash) for spec in missing)
        db.session.flush()
    for spec in dataset.ACCOUNTS:
        link_cards(spec)
    officers.add_officers(password_hash)
    officers.add_claims(day)
    db.session.commit()


def close_cards() -> None:
    """The registry only sends AKTIF / NONAKTIF; claims and merges happened in the portal."""
    for card in dataset.CARDS:
        if card.status.is_closed:
            _membership(card.kpj).status = card.status.value


def end_cards_before(day: date) -> None:
    """A claim's waiting period lasts a month from a card's end, and the real date moves
    on: a fixed ended_on in the file would hold the case for a month at most. So the cards
    that show it end a few days before the day the demo is loaded, whatever that day is."""
    for card in dataset.CARDS:
        if card.ends_days_before_load is not None:
            _membership(card.kpj).ended_on = day - timedelta(days=card.ends_days_before_load)


def link_cards(spec: AccountSpec) -> None:
    account = _account(spec)
    assert account is not None
    for card in spec.linked:
        membership = _membership(card.kpj)
        if membership.account_id != account.id:
            for column, value in link_values(account.id, spec.created_at).items():
                setattr(membership, column, value)


def _account(spec: AccountSpec) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.nik == spec.owner.nik))


def _membership(kpj: str) -> Membership:
    return db.session.get_one(Membership, kpj)


def _new_account(spec: AccountSpec, password_hash: str) -> Account:
    return Account(
        nik=spec.owner.nik,
        email=spec.email.lower(),
        phone=spec.phone,
        password_hash=password_hash,
        created_at=spec.created_at,
    )
