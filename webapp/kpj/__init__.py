from flask import Blueprint

bp = Blueprint("kpj", __name__)

from webapp.kpj import routes  # noqa: E402,F401
