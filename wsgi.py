"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`.

Production is the default: the development configuration (a public secret key, a local
SQLite file) needs an explicit KPJKU_CONFIG=development."""

import os

from webapp import create_app

app = create_app(os.environ.get("KPJKU_CONFIG", "production"))
