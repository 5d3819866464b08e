from flask import Blueprint

bp = Blueprint("card", __name__)

from webapp.card import routes  # noqa: E402,F401
