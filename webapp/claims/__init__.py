from flask import Blueprint, Flask

bp = Blueprint("claims", __name__)

from webapp.claims import cli, routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(cli.claims_cli)
