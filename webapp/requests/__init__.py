"""Permintaan peserta (DESIGN §3.12 Perbaikan data, §3.14 Kartu ini milik saya): what the
participant files (services, routes) and the officers' decisions on them (decisions)."""

from flask import Blueprint

bp = Blueprint("requests", __name__)

from webapp.requests import routes  # noqa: E402,F401
