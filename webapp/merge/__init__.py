from flask import Blueprint

bp = Blueprint("merge", __name__)

from webapp.merge import routes  # noqa: E402,F401
