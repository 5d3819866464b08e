"""A KPJku cluster on this machine, as the README's "Production" recipe describes it: nginx
(Debian's) terminating TLS in front of two gunicorn instances of the production
configuration, on one PostgreSQL database, one Redis database and one upload directory.

Shared by bench/cluster/run.py (prints a report) and tests/test_cluster.py (asserts it):

    cluster = Cluster.start(admin_url, "bench_cluster", redis_url)
    browser = cluster.browser()
    browser.login(cluster.instances[0], "budi@contoh.id")
    browser.get(cluster.instances[1], "/")       # the same session, the other server
    cluster.stop()

A Browser keeps its cookies itself and sends what nginx would add (X-Forwarded-For and
-Proto, the site's Host) when it talks to a gunicorn port directly: that is how a check
chooses the instance that answers."""

from __future__ import annotations

import http.client
import io
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

from bench.processes import free_port, stop

BASE_DIR = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = Path(os.environ.get("KPJKU_NGINX", "/usr/sbin/nginx"))
DEMO_PASSWORD = "KPJku-demo-2026"  # webapp/demo/dataset.py: every demo account's
# What the machine's environment must not decide for the app servers.
APP_VARIABLES = ("KPJKU_CONFIG", "SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI",
                 "TRUSTED_PROXIES", "TEST_DATABASE_URL", "UPLOAD_DIR", "PUBLIC_URL",
                 "GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "SMTP_URL")
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


class ClusterError(RuntimeError):
    """A part of the cluster did not start; the message ends with its log."""


# --- processes ------------------------------------------------------------------------------


@dataclass
class Instance:
    """One gunicorn master and its workers, in a process group of their own."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a machine that dies, not a stop."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Cluster:
    workdir: Path
    database_url: str
    redis_url: str
    instances: list[Instance]
    nginx_port: int
    env: dict[str, str]
    nginx: subprocess.Popen | None = None
    certificate: Path = field(init=False)

    def __post_init__(self) -> None:
        self.certificate = self.workdir / "nginx" / "site.crt"

    # -- life --

    @classmethod
    def start(cls, admin_url: str, database: str, redis_url: str, *, workers: int = 2,
              threads: int = 4) -> Cluster:
        """A fresh database (migrated, with the demo loaded), an empty Redis database, two
        app servers and nginx; stops whatever started if a part fails."""
        workdir = Path(tempfile.mkdtemp(prefix="kpjku-cluster-"))
        database_url = fresh_database(admin_url, database)
        flush_redis(redis_url)
        nginx_port = free_port()
        upload_dir = workdir / "uploads"  # one directory for both: a shared filesystem
        env = app_environment(
            KPJKU_CONFIG="production",
            SECRET_KEY=secrets.token_hex(32),  # one key for every server: one cookie works on all
            DATABASE_URL=database_url,
            RATELIMIT_STORAGE_URI=redis_url,
            TRUSTED_PROXIES="1",
            UPLOAD_DIR=str(upload_dir),
            PUBLIC_URL=f"https://127.0.0.1:{nginx_port}",
            WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS=str(threads),
            SMTP_URL="smtp://127.0.0.1:1",  # nothing here sends mail; a stray one fails fast
        )
        instances = [Instance(name, free_port(), workdir / f"gunicorn-{name}.log") for name in "AB"]
        cluster = cls(workdir, database_url, redis_url, instances, nginx_port, env)
        try:
            cluster._prepare_database()
            for instance in instances:
                cluster.start_instance(instance)
            cluster._start_nginx()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def stop(self) -> None:
        for instance in self.instances:
            instance.kill()
        if self.nginx is not None:
            stop(self.nginx, timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _prepare_database(self) -> None:
        for command in (["db", "upgrade"], ["demo", "load"]):
            done = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=BASE_DIR,
                env=self.env, capture_output=True, text=True, timeout=300,
            )
            if done.returncode != 0:
                raise ClusterError(f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}")

    def start_instance(self, instance: Instance) -> None:
        """gunicorn -c gunicorn.conf.py wsgi:app on the instance's port; waits for /sehat."""
        env = {**self.env, "GUNICORN_BIND": instance.address}
        with instance.log.open("ab") as log:
            instance.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches every worker
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if instance.process.poll() is not None:
                raise ClusterError(f"gunicorn {instance.name} exited:\n{tail(instance.log)}")
            try:
                if Browser(self).get(instance, "/sehat").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ClusterError(f"gunicorn {instance.name} did not answer /sehat:\n{tail(instance.log)}")

    def _start_nginx(self) -> None:
        if not NGINX.exists():
            raise ClusterError(f"nginx is not installed at {NGINX} (apt-get install nginx)")
        prefix = self.workdir / "nginx"
        prefix.mkdir()
        make_certificate(prefix / "site.crt", prefix / "site.key")
        config = prefix / "nginx.conf"
        config.write_text(nginx_config(
            prefix=prefix, listen=f"127.0.0.1:{self.nginx_port}", server_name="127.0.0.1",
            servers=[instance.address for instance in self.instances],
            certificate=prefix / "site.crt", certificate_key=prefix / "site.key",
        ))
        if os.geteuid() == 0:
            # Workers run as an unprivileged user (the config's `user`), and must reach
            # their temporary directories under the prefix.
            self.workdir.chmod(0o755)
            prefix.chmod(0o755)
        with (prefix / "stderr.log").open("ab") as log:
            self.nginx = subprocess.Popen(
                [str(NGINX), "-p", str(prefix), "-c", str(config), "-e",
                 str(prefix / "error.log"), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise ClusterError(f"nginx exited:\n{tail(prefix / 'stderr.log')}\n"
                                   f"{tail(prefix / 'error.log')}")
            try:
                if Browser(self).get(self.proxy, "/sehat").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ClusterError(f"nginx did not answer:\n{tail(prefix / 'error.log')}")

    # -- parts --

    @property
    def proxy(self) -> Proxy:
        return Proxy(self.nginx_port, self.certificate)

    @property
    def site_host(self) -> str:
        """The Host a browser sends: the site's address is nginx's."""
        return f"127.0.0.1:{self.nginx_port}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "nginx" / "access.log"

    def browser(self, address: str = "198.51.100.10") -> Browser:
        return Browser(self, address)

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url, poolclass=sa.pool.NullPool)

    def reset_limits(self) -> None:
        flush_redis(self.redis_url)


@dataclass(frozen=True)
class Proxy:
    port: int
    certificate: Path
    name: str = "nginx"


def app_environment(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in APP_VARIABLES}
    env["PYTHONPATH"] = str(BASE_DIR)
    env.update(variables)
    return env


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` on admin_url's server; its URL."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain database name: {name!r}")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    return admin.url.set(database=name).render_as_string(hide_password=False)


def flush_redis(url: str) -> None:
    import redis  # only the cluster needs it

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


def nginx_config(*, prefix: Path, listen: str, server_name: str, servers: list[str],
                 certificate: Path, certificate_key: Path) -> str:
    """The template with its ${names} filled in; nginx's own $variables are left alone."""
    values = {
        "user_line": "user www-data;" if os.geteuid() == 0 else "",
        "prefix": str(prefix),
        "listen": listen,
        "server_name": server_name,
        "servers": "\n".join(
            f"        server {server} max_fails=3 fail_timeout=5s;" for server in servers
        ),
        "certificate": str(certificate),
        "certificate_key": str(certificate_key),
    }
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], TEMPLATE.read_text())


def make_certificate(certificate: Path, key: Path) -> None:
    """A self-signed P-256 certificate for 127.0.0.1 and localhost (openssl)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
         "-out", str(certificate), "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )


def tail(path: Path, size: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except FileNotFoundError:
        return "(no log)"


# --- a browser ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


class Browser:
    """Cookies, CSRF tokens and a Referer as a browser on the site would have them, sent
    either through nginx (HTTPS) or straight to one gunicorn instance (with the headers
    nginx adds). Cookies are kept whatever their Secure flag: the instance ports are plain
    HTTP only because the check stands in for nginx."""

    def __init__(self, cluster: Cluster, address: str = "198.51.100.10") -> None:
        self.cluster = cluster
        self.address = address  # the client address nginx would pass on
        self.cookies: dict[str, str] = {}

    def copy(self) -> Browser:
        twin = Browser(self.cluster, self.address)
        twin.cookies = dict(self.cookies)
        return twin

    def get(self, target: Instance | Proxy, path: str) -> Answer:
        return self.request(target, "GET", path)

    def post(self, target: Instance | Proxy, path: str, form: dict[str, str],
             files: dict[str, tuple[str, bytes]] | None = None) -> Answer:
        if files:
            body, content_type = multipart(form, files)
        else:
            body, content_type = urlencode(form).encode(), "application/x-www-form-urlencoded"
        return self.request(target, "POST", path, body, {"Content-Type": content_type})

    def request(self, target: Instance | Proxy, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
        sent = {
            "Host": self.cluster.site_host,
            "User-Agent": "Mozilla/5.0 (Linux; Android 13) Chrome/120.0 Mobile Safari/537.36",
            "Referer": f"https://{self.cluster.site_host}{path.split('?')[0]}",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if isinstance(target, Proxy):
            context = ssl.create_default_context(cafile=str(target.certificate))
            connection = http.client.HTTPSConnection("127.0.0.1", target.port, timeout=timeout,
                                                     context=context)
            sent["X-Forwarded-For"] = self.address  # what nginx must not believe
        else:
            connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=timeout)
            sent["X-Forwarded-For"] = self.address
            sent["X-Forwarded-Proto"] = "https"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, response.msg, response.read())
        finally:
            connection.close()
        self._keep_cookies(answer.headers.get_all("Set-Cookie") or [])
        return answer

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                gone = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if gone:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def csrf_token(self, target: Instance | Proxy, path: str) -> str:
        page = self.get(target, path)
        match = CSRF_INPUT.search(page.text) or CSRF_HEADER.search(page.text)
        if match is None:
            raise AssertionError(f"no CSRF token on {path} (status {page.status})")
        return match.group(1)

    def login(self, target: Instance | Proxy, email: str, password: str = DEMO_PASSWORD) -> Answer:
        token = self.csrf_token(target, "/masuk")
        return self.post(target, "/masuk", {"email": email, "password": password,
                                            "csrf_token": token})

    def logout(self, target: Instance | Proxy) -> Answer:
        token = self.csrf_token(target, "/profil")
        return self.post(target, "/keluar", {"csrf_token": token})


def multipart(form: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in form.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
