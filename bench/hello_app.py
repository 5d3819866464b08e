"""The baseline of bench/pages_bench.py: a bare Flask app with one route, served by the
same gunicorn settings as the portal. A page's throughput is reported as a share of this."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
