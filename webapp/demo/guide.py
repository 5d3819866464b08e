"""The demo explained to people: the logins table (`flask demo logins`, the end of
`flask demo load`) and webapp/demo/data/README.md. Both are rendered from dataset.py."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from webapp.claims.terms import REASON_LABELS
from webapp.demo import dataset
from webapp.demo.officers import logins_lines as officer_logins
from webapp.demo.dataset import DEWI, DEWI_ACTIVE, Action, CardSpec, Case, PersonSpec
from webapp.demo.requests import CORRECTION, OWNERSHIP
from webapp.formatting import rupiah, tanggal

if TYPE_CHECKING:
    from webapp.demo.generate import ContributionRow


def display_name(person: PersonSpec) -> str:
    return person.full_name.title()


def login_of(person: PersonSpec) -> str:
    account = dataset.account_of(person)
    return account.email if account else dataset.DEWI_EMAIL


# Wide enough for the longest demo login, so the arrows line up.
LOGIN_WIDTH = 19


def case_line(case: Case) -> str:
    """budi@contoh.id → Tambah KPJ, segmen PU, KPJ 12025568140 → Transaksi berhasil"""
    if case.action is Action.DAFTAR:
        what = f"Daftar dengan NIK {case.person.nik}, KPJ {case.kpj}"
    elif case.action is Action.TAMBAH_KPJ:
        assert case.segment is not None
        what = f"Tambah KPJ, segmen {case.segment.value}, KPJ {case.kpj}"
    elif case.reason is not None:
        what = f"{case.action.value}, alasan {REASON_LABELS[case.reason]}"
    else:
        what = case.action.value
    return f"{login_of(case.person):<{LOGIN_WIDTH}} → {what} → {case.expected}"


def _card_line(card: CardSpec) -> str:
    return f"{card.kpj} ({card.segment.value}, {card.status.value})"


OUTBOX_NOTE = (
    "tampil di konsol ini dan di http://127.0.0.1:5000/dev/kotak-keluar "
    "(hanya ada di mode pengembangan)."
)


def logins_text() -> str:
    lines = [f"Akun demo KPJku — kata sandi semua akun: {dataset.PASSWORD}", ""]
    for account in dataset.ACCOUNTS:
        cards = ", ".join(_card_line(card) for card in account.linked)
        name = display_name(account.owner)
        lines.append(f"  {account.email:<{LOGIN_WIDTH}} {name:<18} KPJ terhubung: {cards}")
    lines += [
        "",
        f"Daftar: {display_name(DEWI)} belum punya akun. Di halaman Daftar isi:",
        f"  NIK               {DEWI.nik}",
        f"  Nama lengkap      {DEWI.full_name}",
        f"  Tanggal lahir     {tanggal(DEWI.birth_date)} ({DEWI.birth_date.isoformat()})",
        f"  Nama ibu kandung  {DEWI.mother_name}",
        f"  KPJ aktif         {DEWI_ACTIVE.kpj} ({DEWI_ACTIVE.segment.value})",
        f"  Email             {dataset.DEWI_EMAIL}; nomor HP dan kata sandi bebas "
        f"(mis. {dataset.PASSWORD})",
        f"  Lalu buka tautan aktivasi dari email: {OUTBOX_NOTE}",
        "",
        f"Email (aktivasi, Lupa kata sandi) tidak benar-benar dikirim: {OUTBOX_NOTE}",
        "",
        "Yang bisa dicoba:",
    ]
    lines += [f"  {case_line(case)}" for case in dataset.CASES]
    lines += ["", "Permintaan yang menunggu petugas (dan yang bisa Anda ajukan sendiri):"]
    lines += [f"  {line}" for line in request_lines()]
    lines += ["", *officer_logins()]
    return "\n".join(lines) + "\n"


def request_lines() -> list[str]:
    """The demo's pending requests, and where a visitor files their own."""
    (agus, agus_card), (yuliana, yuliana_card) = CORRECTION, OWNERSHIP
    siti, budi = dataset.SITI_TEKSTIL, dataset.AGUS_OLD
    return [
        f"{login_of(agus):<{LOGIN_WIDTH}} → Perbaikan data KPJ {agus_card.kpj} (nama ibu "
        "kandung salah ketik) → sedang diproses",
        f"{login_of(yuliana):<{LOGIN_WIDTH}} → Kartu ini milik saya, KPJ {yuliana_card.kpj} "
        "(didaftarkan dengan NIK salah ketik) → sedang diproses",
        f"{login_of(siti.owner):<{LOGIN_WIDTH}} → Tambah KPJ {siti.kpj} → Ajukan perbaikan data",
        f"{login_of(dataset.BUDI):<{LOGIN_WIDTH}} → Tambah KPJ {budi.kpj} (tidak ditemukan) → "
        "Kartu ini milik saya",
    ]


# --- README ---------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _people_table() -> list[str]:
    return _table(
        ["person", "NIK", "born", "mother", "account", "story"],
        [
            [display_name(p), p.nik, f"{p.birth_place} {p.birth_date.isoformat()} ({p.gender})",
             p.mother_name, _account_cell(p), p.story]
            for p in dataset.PEOPLE
        ],
    )


def _account_cell(person: PersonSpec) -> str:
    account = dataset.account_of(person)
    return account.email if account else "none (registers in the demo)"


def _employer_cell(card: CardSpec) -> str:
    if card.employer is None:
        return "–"
    return f"{card.employer.name} (risk class {card.employer.risk_class})"


def _status_cell(card: CardSpec) -> str:
    if card.status is card.registry_status:
        return card.status.value
    return f"{card.registry_status.value} → {card.status.value} (set by the loader)"


def _period_cell(card: CardSpec) -> str:
    ended = card.ended_on.isoformat() if card.ended_on else ""
    if card.ends_days_before_load is not None:
        days = card.ends_days_before_load
        ended += f" in the file; the loader moves it to {days} days before the load day"
    return f"{card.registered_on.isoformat()} – {ended}"


def _linked_to(card: CardSpec) -> str:
    account = next((a for a in dataset.ACCOUNTS if card in a.linked), None)
    return account.email if account else "–"


def _wage_cell(rows: list[ContributionRow]) -> str:
    if not rows:
        return "no contributions (balance paid out / moved)"
    return f"{len(rows)} months, {rupiah(rows[0].wage)} → {rupiah(rows[-1].wage)}"


def _cards_table(contributions: list[ContributionRow]) -> list[str]:
    by_card: dict[str, list[ContributionRow]] = {}
    for row in contributions:
        by_card.setdefault(row.kpj, []).append(row)
    return _table(
        ["KPJ", "owner", "segment", "employer", "period", "status", "linked to",
         "contributions, wage", "note"],
        [
            [c.kpj, display_name(c.owner), c.segment.value, _employer_cell(c),
             _period_cell(c),
             _status_cell(c), _linked_to(c), _wage_cell(by_card.get(c.kpj, [])), c.note]
            for c in dataset.CARDS
        ],
    )


def _rates_table() -> list[str]:
    return _table(
        ["year", "rate %", "source"],
        [
            [str(year), str(rate),
             "published" if year in dataset.PUBLISHED_JHT_RATES else "illustrative (made up)"]
            for year, rate in dataset.jht_rates().items()
        ],
    )


def _late_payments(contributions: list[ContributionRow]) -> int:
    late = Counter(
        (row.paid_on.year * 12 + row.paid_on.month) - (row.period.year * 12 + row.period.month) > 1
        for row in contributions
    )
    return late[True]


def _dates_section() -> list[str]:
    lines = [
        "## Cases and the real date",
        "",
        "Balances, claim amounts and the claim's waiting period are computed against the",
        "real date, so the cases are chosen to hold for years: the claim under Rp 15 juta is",
        "well below it (its balance only grows by development, about 6% a year; a test checks",
        "it is still below ten years on), the others are far above it or decided by dates",
        "long past. A one-month waiting period cannot stay in a static file, so the loader",
        "places it relative to the day it runs:",
        "",
    ]
    lines += [
        f"- {c.kpj} ({display_name(c.owner)}): the loader moves its end to "
        f"{c.ends_days_before_load} days before the day the demo is loaded, so the case "
        "holds for about three weeks after loading; `flask --app wsgi demo load` again "
        "moves it anew."
        for c in dataset.CARDS
        if c.ends_days_before_load is not None
    ]
    return [*lines, ""]


def readme_text(contributions: list[ContributionRow]) -> str:
    lines = [
        "# The KPJku demo dataset",
        "",
        "Generated by `webapp/demo/generate.py` from `webapp/demo/dataset.py`; do not edit by",
        "hand. Change dataset.py, then run `KPJKU_CONFIG=development flask --app wsgi demo generate` (a test fails when",
        "these files and the generator disagree). `flask --app wsgi demo load` imports the CSV",
        "files through the registry import, then adds what the registry cannot carry: the",
        "closed statuses (DIKLAIM, DIGABUNG), the accounts and their linked cards, and the end",
        "date of the card that shows a claim's waiting period (see below). `make run` does",
        "that on an empty database.",
        "",
        "Every name, NIK, KPJ, NPP and company is invented.",
        "",
        f"Rows: population {len(dataset.PEOPLE)}, employers {len(dataset.EMPLOYERS)}, "
        f"memberships {len(dataset.CARDS)}, contributions {len(contributions)}, "
        f"jht_rates {len(dataset.jht_rates())}.",
        "",
        "## Logins and cases",
        "",
        "```",
        logins_text().rstrip("\n"),
        "```",
        "",
        *_dates_section(),
        "## People",
        "",
        *_people_table(),
        "",
        "## Cards",
        "",
        "Card biodata is the population record typed in mixed case, except where noted.",
        "",
        *_cards_table(contributions),
        "",
        "## Money",
        "",
        f"Monthly contributions up to {dataset.LAST_PERIOD.strftime('%Y-%m')}, computed with",
        "`webapp.rules`: PU with `pu_contribution` and the employer's risk class; JAKON the",
        "same, per project month (a simplification); BPU and PMI with `bpu_contribution` on",
        "the declared income, JHT included. A row pays only for its segment's programmes",
        "(`rules.PROGRAMMES`): JAKON rows have JKK and JKM only, BPU and PMI rows no JP.",
        "Wages rise every January by a random few percent and are whole rupiah (lower-paid",
        "wages stay near the regional minimum wage). Payment is on a working day between the",
        f"10th and 15th of the next month, except for {_late_payments(contributions)} payments "
        "that are one or",
        "two months late.",
        "",
        "Cards closed before the portal existed (DIKLAIM, DIGABUNG) carry no contributions:",
        "their balance was paid out or moved, and the portal has no ledger rows for that.",
        "",
        "## JHT return rates",
        "",
        "Only the published rates are real. The others fill every year from the first",
        "contribution through 2025 with a plausible figure so the statement can be computed.",
        "There is no rate for 2026: the current year falls back to 2025's rate (DESIGN §5).",
        "",
        *_rates_table(),
        "",
    ]
    return "\n".join(lines)
