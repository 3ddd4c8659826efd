"""The ceiling: a one-route Flask app served by the same gunicorn settings as elearn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"
