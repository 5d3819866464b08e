"""Who is in the demo, which cards they hold, which accounts exist, and which case of
DESIGN §3.6, §3.9, §3.11 and §6 each lets a visitor try. This is the one description the
generator, the loader, `flask demo logins`, the data README and the tests all read.

Balances and the claim's waiting period are computed against the real date, so every case
here is chosen to hold for years: the one claim under Rp 15 juta is well below it (its
balance grows only by development, about 6% a year), and the one waiting period, which no
static file can keep, is placed by the loader relative to the day it runs
(CardSpec.ends_days_before_load)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from webapp.formatting import mask_kpj
from webapp.models import ClaimReason, KpjStatus, Segment

PASSWORD = "KPJku-demo-2026"
# Contributions run up to this period. The app itself computes on the real date, which
# keeps moving on from here: see the module docstring for how the cases survive that.
LAST_PERIOD = date(2026, 10, 1)


@dataclass(frozen=True)
class PersonSpec:
    """A population record. Dukcapil keeps names in capitals; registrants did not."""

    key: str
    nik: str
    full_name: str
    birth_place: str
    birth_date: date
    gender: str
    mother_name: str
    story: str


@dataclass(frozen=True)
class EmployerSpec:
    npp: str
    name: str
    risk_class: int


@dataclass(frozen=True)
class WagePath:
    """A monthly wage (or declared income) that starts at `start` and is raised each
    January by a random amount between the two percentages, rounded to `step`."""

    start: int
    raise_percent: tuple[int, int]
    step: int = 1_000


@dataclass(frozen=True)
class CardSpec:
    """A KPJ. The biodata defaults to the owner's, typed in mixed case as employers do;
    `full_name` / `mother_name` override it where the registrant typed something else."""

    key: str
    kpj: str
    segment: Segment
    owner: PersonSpec
    employer: EmployerSpec | None
    registered_on: date
    ended_on: date | None
    wage: WagePath | None  # None: a closed card, its contributions are no longer here
    status: KpjStatus = KpjStatus.AKTIF
    gaps: tuple[tuple[date, date], ...] = ()  # inclusive periods without a contribution
    full_name: str | None = None
    mother_name: str | None = None
    nik: str | None = None  # the NIK the registrant typed, when it is not the owner's
    note: str = ""
    # The loader sets ended_on to this many days before the day it runs (see the module
    # docstring); the file keeps ended_on as a plausible date of its own.
    ends_days_before_load: int | None = None

    @property
    def registry_status(self) -> KpjStatus:
        """The registry only knows AKTIF / NONAKTIF; closing a card is the portal's doing."""
        return KpjStatus.AKTIF if self.ended_on is None else KpjStatus.NONAKTIF

    @property
    def card_full_name(self) -> str:
        return self.full_name or self.owner.full_name.title()

    @property
    def card_mother_name(self) -> str:
        return self.mother_name or self.owner.mother_name.title()

    @property
    def card_nik(self) -> str:
        return self.nik or self.owner.nik


@dataclass(frozen=True)
class AccountSpec:
    email: str
    phone: str
    owner: PersonSpec
    linked: tuple[CardSpec, ...]
    created_at: datetime  # naive UTC, like every stored timestamp


class Action(enum.StrEnum):
    """What the visitor does, named as the portal's menus name it."""

    DAFTAR = "Daftar"
    TAMBAH_KPJ = "Tambah KPJ"
    GABUNG_SALDO = "Gabung saldo"
    KLAIM_JHT = "Klaim JHT"
    KLAIM_SEBAGIAN = "Klaim sebagian"
    KARTU_DIGITAL = "Kartu digital"


class Outcome(enum.StrEnum):
    """The outcome a case demonstrates. The Tambah KPJ ones carry the names of
    webapp.kpj.services.Outcome and NONE_ACTIVE that of webapp.card.services.NoCard, so
    the tests can play each case through the real service."""

    REGISTERED = "REGISTERED"
    FIELD_ERROR = "FIELD_ERROR"
    NOT_FOUND = "NOT_FOUND"
    WRONG_SEGMENT = "WRONG_SEGMENT"
    ALREADY_LINKED = "ALREADY_LINKED"
    CLOSED = "CLOSED"
    BIODATA_MISMATCH = "BIODATA_MISMATCH"
    LINKED = "LINKED"
    # Klaim JHT: every eligibility line green, and the gross up to claims' ONLINE_LIMIT
    # (online only) or above it (a video-verification slot too); or Case.blocked_by red.
    CLAIM_ONLINE = "CLAIM_ONLINE"
    CLAIM_VIDEO = "CLAIM_VIDEO"
    CLAIM_BLOCKED = "CLAIM_BLOCKED"
    PARTIAL_OPEN = "PARTIAL_OPEN"
    MERGE_PLANNED = "MERGE_PLANNED"  # a plan with sources, into Case.card
    NO_JHT_CARD = "NO_JHT_CARD"  # webapp.merge.services.NO_JHT_CARD
    CARD_SHOWN = "CARD_SHOWN"  # the digital card of Case.card
    NONE_ACTIVE = "NONE_ACTIVE"


@dataclass(frozen=True)
class Case:
    person: PersonSpec  # who is logged in (or registers)
    action: Action
    outcome: Outcome
    card: CardSpec | None
    segment: Segment | None  # the SEGMEN chosen in Tambah KPJ
    expected: str  # what the visitor should see, in the app's language
    typed_kpj: str | None = None  # a KPJ typed wrong on purpose
    reason: ClaimReason | None = None  # the alasan chosen on the Klaim JHT page
    # CLAIM_BLOCKED: the keys (webapp.claims.eligibility.Check.key) of exactly the red lines.
    blocked_by: tuple[str, ...] = ()

    @property
    def kpj(self) -> str:
        return self.typed_kpj or (self.card.kpj if self.card else "")


# --- people -------------------------------------------------------------------------------

BUDI = PersonSpec(
    "budi", "3171041203850003", "BUDI SANTOSO", "JAKARTA", date(1985, 3, 12), "L",
    "SRI WAHYUNI",
    "Pabrik, proyek konstruksi, gudang, elektronik, kini supervisor produksi: lima KPJ "
    "dalam 18 tahun, satu sudah diklaim.",
)
SITI = PersonSpec(
    "siti", "3273124507900001", "SITI RAHMAWATI", "BANDUNG", date(1990, 7, 5), "P",
    "NURHAYATI",
    "Buruh tekstil di Bandung, dua tahun bekerja di luar negeri (cuti di luar tanggungan), "
    "sejak 2020 penjahit mandiri (BPU).",
)
AGUS = PersonSpec(
    "agus", "3172052309870002", "AGUS WIJAYA", "JAKARTA", date(1987, 9, 23), "L",
    "LILIS SURYANI",
    "Kurir, kini staf gudang di perusahaan yang sama dengan Budi. Kartu lamanya adalah "
    "'kartu orang lain' yang bisa dicoba Budi.",
)
DEWI = PersonSpec(
    "dewi", "3374065702940001", "DEWI LESTARI", "SEMARANG", date(1994, 2, 17), "P",
    "SUMARNI",
    "Admin pabrik jamu, kini staf administrasi proyek jalan (JAKON). Belum punya akun: "
    "dia untuk mencoba Daftar.",
)
RIZKY = PersonSpec(
    "rizky", "3275030811960004", "MUH RIZKY PRATAMA", "BEKASI", date(1996, 11, 8), "L",
    "ENDANG KUSWATI",
    "Operator pabrik otomotif, lalu staf IT; mengundurkan diri Juni 2026, jadi tidak punya "
    "KPJ aktif lagi: dia untuk mencoba Klaim JHT.",
)
YULIANA = PersonSpec(
    "yuliana", "3404075904980002", "YULIANA SARI", "SLEMAN", date(1998, 4, 19), "P",
    "PARTINAH",
    "Pramuniaga minimarket di Sleman 2019–2023, berhenti untuk mengurus anak. Tidak ada "
    "KPJ aktif dan saldonya jauh di bawah Rp 15 juta: klaim JHT cukup online.",
)
ANDI = PersonSpec(
    "andi", "7371111406920003", "ANDI SAPUTRA", "MAKASSAR", date(1992, 6, 14), "L",
    "HASNAH",
    "Sales distributor di Makassar dengan kontrak; kontraknya baru saja habis, jadi klaim "
    "JHT karena habis kontrak masih dalam masa tunggu 1 bulan.",
)
SUPRIYADI = PersonSpec(
    "supriyadi", "3310122701820005", "SUPRIYADI", "KLATEN", date(1982, 1, 27), "L",
    "TUMINAH",
    "Tukang besi dari proyek ke proyek: hanya kartu JAKON (JKK dan JKM), jadi tidak punya "
    "saldo JHT untuk digabung atau diklaim; kartu digitalnya tetap ada.",
)
PEOPLE = (BUDI, SITI, AGUS, DEWI, RIZKY, YULIANA, ANDI, SUPRIYADI)

# --- employers ----------------------------------------------------------------------------

SINAR_PLASTINDO = EmployerSpec("10083512", "PT Sinar Plastindo Jaya", 3)
KARYA_BANGUN = EmployerSpec("10104417", "PT Karya Bangun Persada", 4)
MITRA_LOGISTIK = EmployerSpec("11127730", "PT Mitra Logistik Nusantara", 2)
CAHAYA_ELEKTRONIK = EmployerSpec("13160258", "PT Cahaya Elektronik Indonesia", 3)
SENTOSA_PANGAN = EmployerSpec("15210641", "PT Sentosa Pangan Makmur", 2)
KONVEKSI_CIHAMPELAS = EmployerSpec("10093378", "CV Konveksi Cihampelas", 2)
TEKSTIL_PRIANGAN = EmployerSpec("10120964", "PT Tekstil Priangan Raya", 3)
BAHARI_EKSPRES = EmployerSpec("11051829", "PT Bahari Ekspres Indonesia", 2)
JAMU_SEHAT = EmployerSpec("14154406", "PT Jamu Sehat Nusantara", 1)
BANGUN_CIPTA = EmployerSpec("24250187", "PT Bangun Cipta Konstruksi", 5)
OTOMOTIF_CIKARANG = EmployerSpec("12150733", "PT Otomotif Cikarang Jaya", 3)
DIGITAL_NIAGA = EmployerSpec("17180295", "PT Digital Niaga Nusantara", 1)
SWALAYAN_MITRA = EmployerSpec("19043316", "PT Swalayan Mitra Sejahtera", 1)
DISTRIBUSI_CELEBES = EmployerSpec("22117745", "PT Distribusi Celebes Utama", 2)
TIRTA_BANGUN = EmployerSpec("23190562", "PT Tirta Bangun Nusantara", 5)
EMPLOYERS = (
    SINAR_PLASTINDO, KARYA_BANGUN, MITRA_LOGISTIK, CAHAYA_ELEKTRONIK, SENTOSA_PANGAN,
    KONVEKSI_CIHAMPELAS, TEKSTIL_PRIANGAN, BAHARI_EKSPRES, JAMU_SEHAT, BANGUN_CIPTA,
    OTOMOTIF_CIKARANG, DIGITAL_NIAGA, SWALAYAN_MITRA, DISTRIBUSI_CELEBES, TIRTA_BANGUN,
)

# --- cards --------------------------------------------------------------------------------

BUDI_CLAIMED = CardSpec(
    "budi-claimed", "10084512736", Segment.PU, BUDI, SINAR_PLASTINDO,
    date(2008, 3, 3), date(2010, 4, 30), None, KpjStatus.DIKLAIM,
    note="JHT-nya dicairkan tahun 2010",
)
BUDI_JAKON = CardSpec(
    "budi-jakon", "10107723419", Segment.JAKON, BUDI, KARYA_BANGUN,
    date(2010, 7, 5), date(2011, 10, 31), WagePath(1_500_000, (7, 9)), KpjStatus.NONAKTIF,
    note="proyek rusunawa, per bulan proyek",
)
BUDI_LOGISTIK = CardSpec(
    "budi-logistik", "12025568140", Segment.PU, BUDI, MITRA_LOGISTIK,
    date(2012, 2, 1), date(2016, 3, 31), WagePath(2_200_000, (7, 11)), KpjStatus.NONAKTIF,
)
BUDI_ELEKTRONIK = CardSpec(
    "budi-elektronik", "16041193752", Segment.PU, BUDI, CAHAYA_ELEKTRONIK,
    date(2016, 4, 4), date(2021, 1, 31), WagePath(3_600_000, (5, 9)), KpjStatus.NONAKTIF,
    gaps=((date(2020, 4, 1), date(2020, 8, 1)),),
    note="dirumahkan April–Agustus 2020: tanpa iuran",
)
BUDI_ACTIVE = CardSpec(
    "budi-aktif", "21028834065", Segment.PU, BUDI, SENTOSA_PANGAN,
    date(2021, 2, 1), None, WagePath(8_500_000, (5, 8)),
    note="supervisor produksi; upah di atas batas upah JP",
)
SITI_MERGED = CardSpec(
    "siti-merged", "10095531824", Segment.PU, SITI, KONVEKSI_CIHAMPELAS,
    date(2009, 8, 3), date(2011, 6, 30), None, KpjStatus.DIGABUNG,
    note="saldonya sudah digabung ke KPJ lain",
)
SITI_TEKSTIL = CardSpec(
    "siti-tekstil", "12016620973", Segment.PU, SITI, TEKSTIL_PRIANGAN,
    date(2012, 1, 2), date(2019, 6, 28), WagePath(1_300_000, (10, 15)), KpjStatus.NONAKTIF,
    gaps=((date(2015, 2, 1), date(2017, 4, 1)),),
    mother_name="Nurhayti",
    note="nama ibu kandung salah ketik; tanpa iuran selama bekerja di luar negeri",
)
SITI_PMI = CardSpec(
    "siti-pmi", "15027741308", Segment.PMI, SITI, None,
    date(2015, 2, 9), date(2017, 3, 31), WagePath(6_000_000, (0, 5), 100_000),
    KpjStatus.NONAKTIF, note="pekerja rumah tangga di Hong Kong",
)
SITI_ACTIVE = CardSpec(
    "siti-aktif", "20034418526", Segment.BPU, SITI, None,
    date(2020, 3, 2), None, WagePath(3_000_000, (0, 12), 100_000),
    note="penjahit mandiri; ikut JHT (2%)",
)
AGUS_OLD = CardSpec(
    "agus-lama", "11053390214", Segment.PU, AGUS, BAHARI_EKSPRES,
    date(2011, 5, 9), date(2018, 12, 31), WagePath(1_900_000, (8, 12)), KpjStatus.NONAKTIF,
    note="kartu orang lain bagi Budi",
)
AGUS_FACTORY = CardSpec(
    "agus-pabrik", "10026615283", Segment.PU, AGUS, SINAR_PLASTINDO,
    date(2010, 2, 1), date(2011, 3, 31), WagePath(1_100_000, (8, 12)), KpjStatus.NONAKTIF,
    mother_name="Lilis Suriani",
    note="nama ibu kandung salah ketik; permintaan Perbaikan data sedang diproses",
)
AGUS_ACTIVE = CardSpec(
    "agus-aktif", "19012276841", Segment.PU, AGUS, SENTOSA_PANGAN,
    date(2019, 1, 7), None, WagePath(4_000_000, (3, 6)),
    note="upah sekitar UMP Jakarta",
)
DEWI_OLD = CardSpec(
    "dewi-lama", "15083308657", Segment.PU, DEWI, JAMU_SEHAT,
    date(2015, 8, 3), date(2022, 11, 30), WagePath(1_750_000, (6, 10)), KpjStatus.NONAKTIF,
)
DEWI_ACTIVE = CardSpec(
    "dewi-aktif", "25036659102", Segment.JAKON, DEWI, BANGUN_CIPTA,
    date(2025, 3, 3), None, WagePath(5_200_000, (5, 8)),
    note="proyek jalan tol, per bulan proyek",
)
RIZKY_OLD = CardSpec(
    "rizky-lama", "15019917463", Segment.PU, RIZKY, OTOMOTIF_CIKARANG,
    date(2015, 1, 5), date(2018, 2, 28), WagePath(3_000_000, (7, 11)), KpjStatus.NONAKTIF,
    full_name="Muh. Rizky  Pratama",
    note="nama tertulis dengan titik dan spasi ganda",
)
RIZKY_LAST = CardSpec(
    "rizky-terakhir", "18034482395", Segment.PU, RIZKY, DIGITAL_NIAGA,
    date(2018, 3, 5), date(2026, 6, 30), WagePath(4_300_000, (6, 10)), KpjStatus.NONAKTIF,
    note="mengundurkan diri 30 Juni 2026",
)
YULIANA_LAST = CardSpec(
    "yuliana-terakhir", "19076628150", Segment.PU, YULIANA, SWALAYAN_MITRA,
    date(2019, 7, 1), date(2023, 6, 30), WagePath(1_750_000, (6, 9)), KpjStatus.NONAKTIF,
    note="upah sekitar UMK Sleman; mengundurkan diri Juni 2023",
)
YULIANA_FIRST = CardSpec(
    "yuliana-pertama", "17025540918", Segment.PU, YULIANA, SWALAYAN_MITRA,
    date(2017, 2, 6), date(2019, 5, 31), WagePath(1_450_000, (6, 9)), KpjStatus.NONAKTIF,
    nik="3404075904980020",
    note="kontrak pertama; didaftarkan dengan NIK salah ketik (dua angka terakhir tertukar); "
    "permintaan “Kartu ini milik saya” sedang diproses",
)
ANDI_CONTRACT = CardSpec(
    "andi-kontrak", "22051174936", Segment.PU, ANDI, DISTRIBUSI_CELEBES,
    date(2022, 5, 9), date(2026, 10, 31), WagePath(3_400_000, (5, 8)), KpjStatus.NONAKTIF,
    note="kontrak habis; masa tunggu klaim dihitung dari hari demo dimuat",
    ends_days_before_load=10,
)
SUPRIYADI_DAM = CardSpec(
    "supriyadi-bendungan", "23027719384", Segment.JAKON, SUPRIYADI, TIRTA_BANGUN,
    date(2023, 2, 6), date(2024, 8, 31), WagePath(3_600_000, (5, 8)), KpjStatus.NONAKTIF,
    note="proyek bendungan, per bulan proyek",
)
SUPRIYADI_ACTIVE = CardSpec(
    "supriyadi-aktif", "25014426817", Segment.JAKON, SUPRIYADI, BANGUN_CIPTA,
    date(2025, 1, 6), None, WagePath(3_900_000, (5, 8)),
    note="proyek jalan tol, per bulan proyek",
)
CARDS = (
    BUDI_CLAIMED, BUDI_JAKON, BUDI_LOGISTIK, BUDI_ELEKTRONIK, BUDI_ACTIVE,
    SITI_MERGED, SITI_TEKSTIL, SITI_PMI, SITI_ACTIVE,
    AGUS_FACTORY, AGUS_OLD, AGUS_ACTIVE,
    DEWI_OLD, DEWI_ACTIVE,
    RIZKY_OLD, RIZKY_LAST,
    YULIANA_FIRST, YULIANA_LAST, ANDI_CONTRACT, SUPRIYADI_DAM, SUPRIYADI_ACTIVE,
)

# --- accounts (portal state the registry cannot carry) -------------------------------------

ACCOUNTS = (
    AccountSpec(
        "budi@contoh.id", "081211230001", BUDI, (BUDI_ACTIVE,), datetime(2023, 5, 14, 12, 20)
    ),
    AccountSpec(
        "siti@contoh.id", "081322340002", SITI, (SITI_ACTIVE,), datetime(2021, 9, 2, 3, 5)
    ),
    AccountSpec(
        "agus@contoh.id", "081533450003", AGUS, (AGUS_ACTIVE,), datetime(2024, 1, 20, 8, 41)
    ),
    AccountSpec(
        "rizky@contoh.id", "085744560004", RIZKY, (RIZKY_LAST,), datetime(2022, 11, 3, 14, 2)
    ),
    AccountSpec(
        "yuliana@contoh.id", "087855670006", YULIANA, (YULIANA_LAST,),
        datetime(2021, 6, 20, 2, 37),
    ),
    AccountSpec(
        "andi@contoh.id", "081366780007", ANDI, (ANDI_CONTRACT,), datetime(2024, 3, 5, 6, 12)
    ),
    AccountSpec(
        "supriyadi@contoh.id", "082177890008", SUPRIYADI, (SUPRIYADI_DAM, SUPRIYADI_ACTIVE),
        datetime(2025, 2, 17, 1, 48),
    ),
)
DEWI_EMAIL = "dewi@contoh.id"  # suggested for the registration demo; no account yet

# --- JHT return rates (DESIGN §5) -----------------------------------------------------------

PUBLISHED_JHT_RATES = {2016: "7.19", 2018: "6.26", 2019: "6.08", 2020: "5.59"}
# Every other year from the first contribution (2010) through 2025 needs a rate too; these
# are plausible figures made up for the demo. 2026 has none on purpose: the current year
# falls back to 2025's rate, as DESIGN §5 describes.
ILLUSTRATIVE_JHT_RATES = {
    2010: "7.00", 2011: "7.30", 2012: "6.95", 2013: "6.60", 2014: "7.05", 2015: "7.30",
    2017: "7.40", 2021: "5.65", 2022: "5.80", 2023: "5.95", 2024: "6.10", 2025: "6.15",
}


def jht_rates() -> dict[int, Decimal]:
    rates = PUBLISHED_JHT_RATES | ILLUSTRATIVE_JHT_RATES
    return {year: Decimal(rates[year]) for year in sorted(rates)}


# --- the cases ----------------------------------------------------------------------------

_OK = "Transaksi berhasil"
_TAMBAH, _PU = Action.TAMBAH_KPJ, Segment.PU
_KLAIM = Action.KLAIM_JHT
_RESIGNED = ClaimReason.MENGUNDURKAN_DIRI

# In an order a visitor can follow: each case still holds after the ones before it.
CASES = (
    Case(DEWI, Action.DAFTAR, Outcome.REGISTERED, DEWI_ACTIVE, None,
         "periksa email, buka tautan aktivasi → akun aktif, KPJ JAKON-nya terhubung"),
    Case(BUDI, _TAMBAH, Outcome.LINKED, BUDI_LOGISTIK, _PU, _OK),
    Case(BUDI, _TAMBAH, Outcome.LINKED, BUDI_ELEKTRONIK, _PU, _OK),
    Case(BUDI, _TAMBAH, Outcome.WRONG_SEGMENT, BUDI_JAKON, _PU,
         "segmen tidak sesuai: pilih segmen JAKON"),
    Case(BUDI, _TAMBAH, Outcome.LINKED, BUDI_JAKON, Segment.JAKON, _OK),
    Case(BUDI, _TAMBAH, Outcome.CLOSED, BUDI_CLAIMED, _PU,
         "KPJ sudah ditutup: saldonya sudah diklaim"),
    Case(BUDI, _TAMBAH, Outcome.NOT_FOUND, AGUS_OLD, _PU,
         "tidak ditemukan atas NIK Anda (kartu ini milik Agus)"),
    Case(BUDI, _TAMBAH, Outcome.ALREADY_LINKED, BUDI_ACTIVE, _PU,
         "KPJ sudah terhubung ke akun Anda"),
    Case(BUDI, _TAMBAH, Outcome.FIELD_ERROR, None, _PU,
         "kesalahan isian: nomor KPJ harus 11 angka", typed_kpj="1202556814"),
    # Budi's two old PU cards are linked now: the JAKON one has no JHT and stays out.
    Case(BUDI, Action.GABUNG_SALDO, Outcome.MERGE_PLANNED, BUDI_ACTIVE, None,
         f"saldo 2 KPJ PU lama pindah ke KPJ aktif {BUDI_ACTIVE.kpj}; "
         "KPJ JAKON tidak ikut (tanpa JHT)"),
    Case(BUDI, _KLAIM, Outcome.CLAIM_BLOCKED, BUDI_ACTIVE, None,
         "belum bisa: masih ada KPJ aktif di PT Sentosa Pangan Makmur",
         blocked_by=("active",)),
    Case(BUDI, Action.KLAIM_SEBAGIAN, Outcome.PARTIAL_OPEN, BUDI_ACTIVE, None,
         "bisa: masih aktif, peserta lebih dari 10 tahun, belum pernah klaim sebagian "
         "→ 10% atau 30% saldo"),
    Case(BUDI, Action.KARTU_DIGITAL, Outcome.CARD_SHOWN, BUDI_ACTIVE, None,
         "kartu PU dengan JHT, JP, JKK, JKM, JKP dan kode QR verifikasi"),
    Case(SITI, _TAMBAH, Outcome.BIODATA_MISMATCH, SITI_TEKSTIL, _PU,
         "data tidak sesuai: Nama Ibu Kandung (kemungkinan salah ketik)"),
    Case(SITI, _TAMBAH, Outcome.LINKED, SITI_PMI, Segment.PMI, _OK),
    Case(SITI, _TAMBAH, Outcome.CLOSED, SITI_MERGED, _PU,
         "KPJ sudah ditutup: saldonya sudah digabung"),
    # Before Rizky adds his old card: its balance is paid with the others, so it must be in.
    Case(RIZKY, _KLAIM, Outcome.CLAIM_BLOCKED, RIZKY_OLD, None,
         f"belum bisa: KPJ {mask_kpj(RIZKY_OLD.kpj)} bersaldo JHT belum terhubung "
         "(tambahkan dulu, lihat Temukan KPJ lama)",
         blocked_by=("linked",)),
    Case(RIZKY, _TAMBAH, Outcome.LINKED, RIZKY_OLD, _PU,
         f"{_OK} (nama di kartu hanya beda tanda baca dan spasi)"),
    Case(RIZKY, _KLAIM, Outcome.CLAIM_VIDEO, RIZKY_LAST, None,
         "bisa: lebih dari Rp 15 juta, jadi dengan jadwal verifikasi video",
         reason=_RESIGNED),
    Case(DEWI, _TAMBAH, Outcome.LINKED, DEWI_OLD, _PU, f"{_OK} (setelah Daftar)"),
    Case(YULIANA, _KLAIM, Outcome.CLAIM_ONLINE, YULIANA_LAST, None,
         "bisa: semua syarat terpenuhi, di bawah Rp 15 juta → cukup online, tanpa video",
         reason=_RESIGNED),
    Case(YULIANA, Action.KARTU_DIGITAL, Outcome.NONE_ACTIVE, YULIANA_LAST, None,
         "tidak ada KPJ yang aktif: kartu digital hanya untuk kepesertaan aktif"),
    Case(ANDI, _KLAIM, Outcome.CLAIM_BLOCKED, ANDI_CONTRACT, None,
         "belum bisa: masa tunggu 1 bulan sejak kontrak habis (10 hari sebelum demo dimuat)",
         reason=ClaimReason.HABIS_KONTRAK, blocked_by=("waiting",)),
    Case(SUPRIYADI, Action.KARTU_DIGITAL, Outcome.CARD_SHOWN, SUPRIYADI_ACTIVE, None,
         "kartu JAKON: hanya JKK dan JKM, tanpa JHT dan JP"),
    Case(SUPRIYADI, Action.GABUNG_SALDO, Outcome.NO_JHT_CARD, SUPRIYADI_ACTIVE, None,
         "tidak ada yang digabung: kartu JAKON tidak punya saldo JHT"),
    Case(SUPRIYADI, _KLAIM, Outcome.CLAIM_BLOCKED, SUPRIYADI_ACTIVE, None,
         "belum bisa: KPJ JAKON masih aktif, dan belum ada saldo JHT",
         blocked_by=("active", "balance")),
)


def account_of(person: PersonSpec) -> AccountSpec | None:
    return next((a for a in ACCOUNTS if a.owner == person), None)
