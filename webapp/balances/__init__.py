from flask import Blueprint

bp = Blueprint("balances", __name__)

from webapp.balances import routes  # noqa: E402,F401
