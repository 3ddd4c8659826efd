"""The floor of a signed-in page on this stack: the bare page (bare_app.py's template) behind the least a signed-in
Flask page needs, and nothing of elearn's.

Flask's signed cookie session holding a user id, Flask-Login loading the user with one SQLAlchemy ORM query by
primary key (SQLite file), `@login_required`, and the same template as the bare page. No CSRF, no limiter, no
security headers, no request log, no server-side session check, no two-factor gate. profile_pages.py --floor times
it beside the bare page, so the pairing's target can be read against what any signed-in page here costs.
"""

from __future__ import annotations

import os
import tempfile

from bare_app import LESSONS, PARAGRAPHS
from flask import Flask, render_template
from flask_login import LoginManager, UserMixin, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "floor_users"  # beside elearn's tables when both share a PostgreSQL database
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


app = Flask(__name__, template_folder="templates")
app.config.update(SECRET_KEY="floor-only-secret",  # noqa: S106 - a bench on loopback
                  SQLALCHEMY_DATABASE_URI=os.environ.get("FLOOR_DATABASE_URL",
                                                         f"sqlite:///{tempfile.gettempdir()}/elearn-floor.db"))
db.init_app(app)
login_manager.init_app(app)
with app.app_context():
    db.create_all()
    if db.session.get(User, 1) is None:
        db.session.add(User(id=1, display_name="Bench Reader", email="reader@bench.test"))
        db.session.commit()
    db.engine.dispose()  # gunicorn forks its workers after this import (preload): none may inherit a connection


@app.post("/sign-in")
def sign_in() -> str:
    login_user(db.session.get(User, 1))
    return "signed in"


@app.get("/")
@login_required
def page() -> str:
    return render_template("bare.html", title="Recognising and responding to concerns", lessons=LESSONS,
                           paragraphs=PARAGRAPHS, user_name="Bench Reader", current=5)


@app.get("/lessons/<int:position>")
def lesson(position: int) -> str:  # only a url_for target
    return str(position)
