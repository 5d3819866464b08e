"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import os

from webapp import create_app

app = create_app(os.environ.get("KPJKU_CONFIG", "development"))
