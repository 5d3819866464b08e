"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment without editing this file (the names are
gunicorn's own where it has one). The reasons are beside each setting."""

import multiprocessing
import os

# Behind nginx on the same machine (README, "Production"): not reachable from
# outside. GUNICORN_BIND=0.0.0.0:8000 when the proxy runs elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes use every core (Python runs one thread at a time per process); threads inside
# each process keep the core busy while a request waits for PostgreSQL, Redis or the disk,
# which is where a portal page spends most of its time. gthread rather than an async worker:
# SQLAlchemy, psycopg and Flask are synchronous, and threads need no monkey-patching.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
# At most SQLAlchemy's pool size (5) per process, so that no thread waits for a
# connection while the database could serve it; more threads would only queue there.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A page that has not answered in 30 s is stuck (every database statement is far faster),
# and a phone on 3G has given up long before: the worker is replaced rather than left to
# hold its threads. A claim's three 2 MB uploads arrive through nginx, which buffers the
# whole body first, so a slow upload never counts against this.
timeout = 30
# On a deploy or a restart, requests in flight get this long to finish before the worker
# is stopped: longer than any normal request, shorter than a deploy is willing to wait.
graceful_timeout = 20
# nginx keeps its upstream connections open (keepalive in the recipe); a little longer
# than one page's follow-up requests, so they reuse the connection.
keepalive = 5

# Workers are replaced after this many requests (each after a random extra up to the
# jitter, so they do not all restart at once): a slow leak in a library can never grow
# without bound. Not fewer: a restart re-imports the app (1.3-2 s of CPU) and drops the
# worker's keep-alive connections. At 20,000 a worker under the page benchmark's load
# restarted every half minute, 3-5% of its CPU spent starting and a burst of slow answers
# and reset connections each time; at 200,000 that is every few minutes at full load, and
# hours at an ordinary one.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = 20000

# Not preloaded: each worker builds the app after the fork, so no database connection,
# mail thread or open file is ever shared between processes.
preload_app = False

# nginx sets X-Forwarded-For and -Proto; the app trusts them through TRUSTED_PROXIES
# (werkzeug's ProxyFix), not through gunicorn, so this stays gunicorn's default.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Gunicorn's access log would repeat what nginx logs; errors go to stderr for the service
# manager to keep.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Gunicorn's own lines (a worker booting, timing out, exiting) in the app's format, one JSON
# object a line (webapp/logs.py), so that everything on stderr reads the same way. The root
# logger gets no handler here: the app adds its own (LOG_JSON), with the request's fields.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["mask"],
                   "stream": "ext://sys.stderr"},
    },
    "formatters": {"json": {"()": "webapp.logs.JsonFormatter"}},
    # A worker's crash traceback may quote a database error, KPJ or NIK included.
    "filters": {"mask": {"()": "webapp.logs.MaskPersonalNumbers"}},
}
