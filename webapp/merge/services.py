"""Gabung saldo (DESIGN §3.9): the JHT balances of a person's NONAKTIF cards move into
one card, as ledger entries in one database transaction.

The target is the newest AKTIF card that has JHT, or with none active the earliest
NONAKTIF one. Each source moves its value on the merge day (webapp/ledger.py: the balance
with development accrued to date), becomes DIGABUNG pointing at the target, and the
target's membership counts from the earliest card's start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from webapp import ledger, rules
from webapp.extensions import db
from webapp.models import (
    Account,
    KpjStatus,
    LedgerEntry,
    LedgerKind,
    Membership,
    Transaction,
    TxKind,
    TxStatus,
)

MERGED = "MERGED"


@dataclass(frozen=True)
class Source:
    card: Membership
    amount: int


@dataclass(frozen=True)
class Plan:
    target: Membership
    target_value: int
    sources: tuple[Source, ...]
    as_of: date

    @property
    def total_moved(self) -> int:
        return sum(source.amount for source in self.sources)

    @property
    def total_after(self) -> int:
        return self.target_value + self.total_moved

    @property
    def refs(self) -> tuple[str, ...]:
        """What the confirmation form carries: the sources the user saw."""
        return tuple(sorted(source.card.link_ref for source in self.sources))


class Nothing(str):
    """Why there is nothing to merge (a sentence for the page)."""


NOTHING_TO_MERGE = Nothing(
    "Tidak ada saldo yang perlu digabung: tidak ada KPJ NONAKTIF bersaldo JHT di akun Anda "
    "selain kartu tujuan."
)
NO_JHT_CARD = Nothing(
    "Belum ada KPJ dengan program JHT di akun Anda. Kartu JAKON tidak punya saldo JHT "
    "sehingga tidak dapat digabung."
)


@dataclass(frozen=True)
class Changed:
    """The cards changed since the confirmation page was shown: show the new plan."""

    plan: Plan | Nothing


@dataclass(frozen=True)
class Merged:
    transaction: Transaction
    target: Membership
    moved: int
    sources: int


def plan(account: Account, as_of: date) -> Plan | Nothing:
    """What a merge today would do: one rule for the page and the confirmation."""
    cards = _jht_cards(account)
    if not cards:
        return NO_JHT_CARD
    target = _target(cards)
    values = ledger.values_on([card.kpj for card in cards], as_of)
    sources = tuple(
        Source(card, values[card.kpj])
        for card in sorted(cards, key=lambda c: (c.registered_on, c.kpj))
        if card is not target and card.status == KpjStatus.NONAKTIF and values[card.kpj] > 0
    )
    if not sources:
        return NOTHING_TO_MERGE
    return Plan(target, values[target.kpj], sources, as_of)


def merge(account: Account, confirmed: list[str], as_of: date) -> Merged | Changed:
    """Merge exactly the sources the user confirmed. Commits. A repeated or concurrent
    confirmation finds its sources already DIGABUNG and merges nothing."""
    current = plan(account, as_of)
    if isinstance(current, Nothing) or tuple(sorted(confirmed)) != current.refs:
        return Changed(current)
    target = current.target
    for source in current.sources:
        # The conditional UPDATE is the lock: of two confirmations, one finds the card
        # NONAKTIF and the other finds it DIGABUNG.
        claimed = db.session.execute(
            update(Membership)
            .where(
                Membership.kpj == source.card.kpj,
                Membership.account_id == account.id,
                Membership.status == KpjStatus.NONAKTIF,
            )
            .values(status=KpjStatus.DIGABUNG, merged_into=target.kpj)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            return Changed(plan(account, as_of))
    # Valued after the cards are held, so what moves is what they hold now.
    values = ledger.values_on([s.card.kpj for s in current.sources], as_of)
    moved = sum(values.values())
    transaction = Transaction(
        account_id=account.id,
        kind=TxKind.GABUNG_SALDO,
        status=TxStatus.BERHASIL,
        reason=MERGED,
        kpj=target.kpj,
        segment=target.segment,
        detail=f"{len(values)}:{moved}",
    )
    db.session.add(transaction)
    db.session.flush()
    ledger.post(_entries(target.kpj, values, as_of, transaction.id))
    db.session.execute(
        update(Membership)
        .where(Membership.kpj == target.kpj)
        .values(member_since=min(_start(target), *(_start(s.card) for s in current.sources)))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire_all()
    return Merged(transaction, db.session.get_one(Membership, target.kpj), moved, len(values))


def _entries(target: str, values: dict[str, int], day: date, transaction_id: int) -> list[LedgerEntry]:
    entries = []
    for kpj, amount in values.items():
        common = dict(amount=amount, booked_on=day, transaction_id=transaction_id)
        entries.append(LedgerEntry(kpj=kpj, kind=LedgerKind.MERGE_OUT, counterpart_kpj=target, **common))
        entries.append(LedgerEntry(kpj=target, kind=LedgerKind.MERGE_IN, counterpart_kpj=kpj, **common))
    return entries


def _jht_cards(account: Account) -> list[Membership]:
    """The account's open cards that hold JHT (a JAKON card never does)."""
    cards = db.session.scalars(
        select(Membership)
        .options(selectinload(Membership.employer))
        .where(
            Membership.account_id == account.id,
            Membership.status.in_([KpjStatus.AKTIF, KpjStatus.NONAKTIF]),
        )
    )
    return [card for card in cards if rules.has_programme(card.segment, rules.Programme.JHT)]


def _target(cards: list[Membership]) -> Membership:
    active = [card for card in cards if card.status == KpjStatus.AKTIF]
    if active:
        return max(active, key=lambda card: (card.registered_on, card.kpj))
    return min(cards, key=lambda card: (card.registered_on, card.kpj))


def _start(card: Membership) -> date:
    """Where a card's membership counts from: a former merge target from its earliest card."""
    return card.member_since or card.registered_on
