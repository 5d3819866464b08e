"""What several app servers must show (issue 10, point 4), as functions over a running
Cluster: each does what a participant or an attacker would do, choosing the instance that
answers, and returns what it saw. tests/test_cluster.py asserts the results;
bench/cluster/run.py prints them.

Every check uses the demo's accounts (`flask demo load` ran on the cluster's database)."""

from __future__ import annotations

import http.client
import io
import json
import math
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from limits import parse as parse_limit
from PIL import Image

from bench.cluster.cluster import Browser, Cluster, Instance
from config import ProductionConfig

DOCUMENT_LINK = re.compile(r'href="(/klaim/[^"]+/dokumen/[^"]+)"')
CLAIM_PAGE = re.compile(r"/klaim/[A-Za-z0-9_-]+")


def is_login_page(answer) -> bool:
    return answer.status in (302, 303) and answer.location == "/masuk"


# --- a) a session moves between servers; b) logging out ends it everywhere ------------------


@dataclass
class SessionResult:
    login_on_a: int
    beranda_on_b: int
    beranda_on_b_names_the_user: bool
    copy_on_a_before_logout: int
    logout_on_b: int
    copy_on_a_after_logout: str  # "login page" when the session is gone
    copy_on_b_after_logout: str


def sessions(cluster: Cluster) -> SessionResult:
    a, b = cluster.instances
    browser = cluster.browser()
    login = browser.login(a, "budi@contoh.id")
    beranda = browser.get(b, "/")
    kept = browser.copy()  # a copy of the cookie: what a thief, or a second tab, holds
    before = kept.get(a, "/profil")
    logout = browser.logout(b)
    after_a, after_b = kept.get(a, "/profil"), kept.get(b, "/profil")
    return SessionResult(
        login_on_a=login.status,
        beranda_on_b=beranda.status,
        beranda_on_b_names_the_user="Budi" in beranda.text,
        copy_on_a_before_logout=before.status,
        logout_on_b=logout.status,
        copy_on_a_after_logout=_describe(after_a),
        copy_on_b_after_logout=_describe(after_b),
    )


def _describe(answer) -> str:
    return "login page" if is_login_page(answer) else f"status {answer.status}"


# --- c) rate limits are shared through Redis ------------------------------------------------


@dataclass
class LimitResult:
    limit: int  # refused logins allowed per address in the window (config LOGIN_LIMIT)
    statuses: list[tuple[str, int]]  # (instance, status) for every attempt, alternating
    other_address: int  # a different client address, on either instance
    through_nginx_spoofed: list[int]  # via nginx, a new X-Forwarded-For every attempt


def login_limits(cluster: Cluster) -> LimitResult:
    """Wrong passwords from one client address, alternating between the instances: the
    attempt after the limit is refused whichever instance gets it. Leaves Redis empty."""
    limit = parse_limit(ProductionConfig.LOGIN_LIMIT).amount
    cluster.reset_limits()
    a, b = cluster.instances
    attacker = cluster.browser("203.0.113.7")
    statuses = []
    for attempt in range(limit + 2):
        instance = (a, b)[attempt % 2]
        # A new address each time: only the per-address limit is at work, not the
        # failure budget of one account (webapp/auth/signin.py).
        answer = attacker.login(instance, f"tebakan{attempt}@contoh.id", "salah-sekali-123")
        statuses.append((instance.name, answer.status))
    other = cluster.browser("203.0.113.8").login(b, "tebakan-lain@contoh.id", "salah-sekali-123")
    spoofed = []
    for attempt in range(limit + 1):
        # nginx appends the address it saw; the app trusts one hop, so the client's own
        # X-Forwarded-For buys nothing.
        browser = cluster.browser(f"192.0.2.{attempt + 1}")
        spoofed.append(browser.login(cluster.proxy, f"palsu{attempt}@contoh.id", "salah-123").status)
    cluster.reset_limits()
    return LimitResult(limit, statuses, other.status, spoofed)


# --- d) an upload written by one server is served by the other ------------------------------


@dataclass
class UploadResult:
    submitted_on_a: int
    documents_listed_on_b: int
    served_by_b: list[int] = field(default_factory=list)
    same_bytes: bool = False


def picture(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n"
    )


def uploads(cluster: Cluster) -> UploadResult:
    """Yuliana (the demo's online claim) files Klaim JHT with three documents on A; the
    claim's page and each document are fetched from B."""
    a, b = cluster.instances
    browser = cluster.browser()
    browser.login(a, "yuliana@contoh.id")
    ktp, book, proof = picture((64, 48)), picture((48, 64)), pdf()
    form = {
        "alasan": "MENGUNDURKAN_DIRI", "bank": "BRI", "nomor_rekening": "0123 4567 8901",
        "nama_rekening": "Yuliana Sari", "npwp": "", "csrf_token": browser.csrf_token(a, "/klaim"),
    }
    files = {"ktp": ("ktp.png", ktp), "buku_tabungan": ("buku.png", book),
             "bukti_alasan": ("surat.pdf", proof)}
    submitted = browser.post(a, "/klaim", form, files)
    result = UploadResult(submitted.status, 0)
    if not CLAIM_PAGE.fullmatch(submitted.location):
        return result
    links = DOCUMENT_LINK.findall(browser.get(b, submitted.location).text)
    result.documents_listed_on_b = len(links)
    served = [browser.get(b, link) for link in links]
    result.served_by_b = [answer.status for answer in served]
    result.same_bytes = sorted(answer.body for answer in served) == sorted([ktp, book, proof])
    return result


# --- e) one server killed during a load -----------------------------------------------------


PAGES = ("/", "/profil", "/pengaturan", "/pengaturan/tambah-kpj", "/riwayat", "/sehat")
LOAD_ACCOUNTS = ("budi@contoh.id", "siti@contoh.id", "rizky@contoh.id", "andi@contoh.id",
                 "supriyadi@contoh.id")


@dataclass
class Call:
    kind: str  # "page", "read" (mark a notification read) or "login"
    method: str
    started: float
    ended: float = 0.0
    status: int = 0  # 0: no answer at all
    notification: int | None = None
    request_id: str | None = None  # nginx's, sent back in X-Request-ID

    @property
    def ok(self) -> bool:
        return self.status in (200, 303)


@dataclass
class LoadResult:
    requests: int
    seconds: float
    killed_after: int  # requests answered when A was killed
    statuses: Counter
    failed: list[Call]  # calls without a success answer
    failed_in_flight_posts: int  # of those: POSTs under way when A died
    failed_posts_sent_once_to_a: int  # of those: POSTs nginx sent to A alone (its log)
    started_after_kill: int
    failed_after_kill: int
    failed_a_second_after_kill: int  # started more than a second after A was reaped
    reads_ok: int
    reads_lost: int  # answered 303 but not in the database: must be 0
    reads_cut_but_committed: int  # no answer, yet committed (the answer was what died)
    logins_ok: int
    logins_cut: int
    sessions_created: int  # must lie within [logins_ok, logins_ok + logins_cut]
    get_retried: int  # nginx log: GETs that one server failed and the other answered
    post_passed_on: int  # nginx log: POSTs refused at connect by the dead server, then sent on
    last_upstreams: Counter  # nginx log: which server answered the calls started after the kill

    def lines(self) -> list[str]:
        return [
            f"{self.requests} requests in {self.seconds:.1f} s "
            f"({self.requests / self.seconds:.0f} req/s); A killed after {self.killed_after}",
            f"answers: {dict(sorted(self.statuses.items()))}",
            f"failed: {len(self.failed)} (POSTs sent to A alone, not re-sent: "
            f"{self.failed_posts_sent_once_to_a}; in flight when it died: "
            f"{self.failed_in_flight_posts}); started after the kill: {self.started_after_kill}, "
            f"of which failed: {self.failed_after_kill} (a second after: "
            f"{self.failed_a_second_after_kill})",
            f"mark-read POSTs: {self.reads_ok} answered 303, {self.reads_lost} of them missing in "
            f"the database; cut but committed: {self.reads_cut_but_committed}",
            f"logins: {self.logins_ok} answered 303, {self.logins_cut} cut; sessions created: "
            f"{self.sessions_created}",
            f"nginx: {self.get_retried} GETs retried on the other server, {self.post_passed_on} "
            f"POSTs passed on after a refused connection; answered after the kill by "
            f"{dict(self.last_upstreams)}",
        ]


def seed_notifications(cluster: Cluster, email: str, count: int) -> list[int]:
    """`count` unread inbox entries for the account: each POST marks a different one."""
    with cluster.engine().begin() as connection:
        return list(connection.scalars(sa.text(
            "INSERT INTO notifications (account_id, kind, detail, created_at) "
            "SELECT a.id, 'CLAIM_STAGE', 'VERIFIKASI', now() AT TIME ZONE 'utc' "
            "FROM accounts a, generate_series(1, :count) WHERE lower(a.email) = :email "
            "RETURNING id"
        ), {"count": count, "email": email}))


def failover(cluster: Cluster, total: int = 2000, clients: int = 8, kill_at: float = 0.3,
             seed: int = 10) -> LoadResult:
    """`total` requests from `clients` signed-in browsers through nginx: pages (GET),
    marking a notification read (POST, each a different entry, so every commit can be
    found) and signing in (GET the form, POST it: each success is one new session row).
    Instance A is SIGKILLed once kill_at of them are answered; it is started again after."""
    a, b = cluster.instances
    proxy = cluster.proxy
    per_client = math.ceil(total * 0.5 / clients) + 10
    workers = []
    for number in range(clients):
        email = LOAD_ACCOUNTS[number % len(LOAD_ACCOUNTS)]
        browser = cluster.browser(f"198.51.100.{number + 20}")
        if browser.login(proxy, email).status != 303:
            raise AssertionError(f"{email} could not sign in through nginx")
        token = browser.csrf_token(proxy, "/profil")
        workers.append((browser, email, token, seed_notifications(cluster, email, per_client)))
    sessions_before = _count(cluster, "auth_sessions")
    log_start = cluster.access_log.stat().st_size

    budget = Budget(total)
    calls: list[Call] = []  # shared by the threads: list.append and extend are atomic
    crashed: list[BaseException] = []
    # From just before SIGKILL to its reaping: a request under way at any moment of it may
    # have been on A when it died.
    kill = {"from": math.inf, "to": math.inf, "answered": 0}

    def killer() -> None:
        while budget.answered() < total * kill_at and not budget.exhausted():
            time.sleep(0.005)
        kill["answered"] = budget.answered()
        kill["from"] = time.monotonic()
        a.kill()
        kill["to"] = time.monotonic()

    def work(number: int) -> None:
        try:
            load(number)
        except BaseException as error:  # re-raised below: a lost thread must not pass unseen
            crashed.append(error)

    def load(number: int) -> None:
        browser, email, token, unread = workers[number]
        rng = random.Random(seed * 1000 + number)
        while True:
            choice = rng.random()
            if choice < 0.05:
                if not budget.take(2):
                    break
                calls.extend(_login(cluster, browser.address, email, budget))
            elif choice < 0.45 and unread:
                if not budget.take(1):
                    break
                notification = unread.pop()
                form = {"notifikasi": str(notification), "csrf_token": token}
                calls.append(_timed(budget, "read", "POST", lambda: browser.post(
                    proxy, "/notifikasi/baca", form), notification))
            else:
                if not budget.take(1):
                    break
                path = rng.choice(PAGES)
                calls.append(_timed(budget, "page", "GET", lambda: browser.get(proxy, path)))

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    watcher = threading.Thread(target=killer)
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    watcher.join()
    cluster.start_instance(a)  # the cluster whole again for what comes next
    if crashed:
        raise crashed[0]

    return _judge(cluster, calls, seconds, kill, sessions_before, log_start, (a, b))


class Budget:
    """How many requests may still start, and how many have been answered."""

    def __init__(self, total: int) -> None:
        self._left, self._answered, self._lock = total, 0, threading.Lock()

    def take(self, count: int) -> bool:
        with self._lock:
            if self._left < count:
                return False
            self._left -= count
            return True

    def done(self) -> None:
        with self._lock:
            self._answered += 1

    def answered(self) -> int:
        return self._answered

    def exhausted(self) -> bool:
        return self._left == 0


def _timed(budget: Budget, kind: str, method: str, send, notification: int | None = None) -> Call:
    call = Call(kind, method, time.monotonic(), notification=notification)
    try:
        answer = send()
        call.status, call.request_id = answer.status, answer.headers.get("X-Request-ID")
    except (OSError, http.client.HTTPException):  # refused, reset, cut short: no answer
        call.status = 0
    call.ended = time.monotonic()
    budget.done()
    return call


def _login(cluster: Cluster, address: str, email: str, budget: Budget) -> list[Call]:
    """A new browser signs in: the form, then the POST."""
    browser = Browser(cluster, address)
    token: list[str] = []

    def form():
        answer = browser.get(cluster.proxy, "/masuk")
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', answer.text)
        token.extend(found.groups() if found else [])
        return answer

    page = _timed(budget, "login-form", "GET", form)
    if not token:
        budget.done()  # the POST that never goes out
        return [page]
    data = {"email": email, "password": "KPJku-demo-2026", "csrf_token": token[0]}
    post = _timed(budget, "login", "POST", lambda: browser.post(cluster.proxy, "/masuk", data))
    return [page, post]


def _count(cluster: Cluster, table: str) -> int:
    with cluster.engine().connect() as connection:
        return connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def _judge(cluster: Cluster, calls: list[Call], seconds: float, kill: dict, sessions_before: int,
           log_start: int, servers: tuple[Instance, Instance]) -> LoadResult:
    with cluster.engine().connect() as connection:
        read = set(connection.scalars(sa.text(
            "SELECT id FROM notifications WHERE read_at IS NOT NULL")))
    reads = [call for call in calls if call.kind == "read"]
    logins = [call for call in calls if call.kind == "login"]
    failed = [call for call in calls if not call.ok]
    after = [call for call in calls if call.started > kill["to"]]
    log = _access_log(cluster, log_start)
    a, b = servers
    upstreams = {entry["request_id"]: entry["upstream_addr"] for entry in log}
    return LoadResult(
        requests=len(calls),
        seconds=seconds,
        killed_after=kill["answered"],
        statuses=Counter(call.status for call in calls),
        failed=failed,
        failed_in_flight_posts=sum(
            1 for call in failed
            if call.method == "POST" and call.started <= kill["to"] and call.ended >= kill["from"]
        ),
        failed_posts_sent_once_to_a=sum(
            1 for call in failed
            if call.method == "POST" and upstreams.get(call.request_id) == a.address
        ),
        started_after_kill=len(after),
        failed_a_second_after_kill=sum(
            1 for call in after if call.started > kill["to"] + 1 and not call.ok),
        failed_after_kill=sum(1 for call in after if not call.ok),
        reads_ok=sum(1 for call in reads if call.status == 303),
        reads_lost=sum(1 for call in reads if call.status == 303 and call.notification not in read),
        reads_cut_but_committed=sum(
            1 for call in reads if call.status != 303 and call.notification in read),
        logins_ok=sum(1 for call in logins if call.status == 303),
        logins_cut=sum(1 for call in logins if call.status != 303),
        sessions_created=_count(cluster, "auth_sessions") - sessions_before,
        get_retried=sum(1 for entry in log if entry["method"] == "GET" and "," in entry["upstream_addr"]
                        and entry["status"] == 200),
        post_passed_on=sum(1 for entry in log if entry["method"] == "POST"
                           and "," in entry["upstream_addr"]),
        last_upstreams=_answered_by(log, after, {a.address: "A", b.address: "B"}),
    )


def _answered_by(log: list[dict], calls: list[Call], names: dict[str, str]) -> Counter:
    """Which server gave each of these calls its answer, by nginx's request id."""
    last = {entry["request_id"]: entry["upstream_addr"].split(", ")[-1] for entry in log}
    return Counter(names.get(last.get(call.request_id, ""), "not in nginx's log") for call in calls)


def _access_log(cluster: Cluster, start: int) -> list[dict]:
    with cluster.access_log.open("rb") as log:
        log.seek(start)
        return [json.loads(line) for line in log.read().decode().splitlines() if line.strip()]
