"""The ceiling for the page pairing: a bare Flask app rendering one comparable Jinja template.

No database, no session, no extensions: one route that renders `templates/bare.html` (about 5 KB of template:
a page layout, a navigation list, a contents list of twelve items built in a loop with `url_for`, and a few
paragraphs of escaped text), so the figure is what Flask, Jinja and gunicorn cost on this machine for a page of
about the lesson page's size. bench/pages/run_pairs.py serves it with the same gunicorn settings as elearn.
"""

from __future__ import annotations

from flask import Flask, render_template

app = Flask(__name__)

LESSONS = [{"position": n, "title": f"Lesson {n}: recognising and responding to concerns, part {n}",
            "minutes": 5 + n % 4, "state": ("done", "current", "todo")[min(2, n // 4)]} for n in range(1, 13)]
PARAGRAPHS = [("Staff who work with children must know how to recognise the signs that a child may be at risk of "
               "harm, what to do when they have a concern, and who to tell. <This text is escaped & shown as is.>")
              for _ in range(6)]


@app.get("/")
def page() -> str:
    return render_template("bare.html", title="Recognising and responding to concerns", lessons=LESSONS,
                           paragraphs=PARAGRAPHS, user_name="Bench Reader", current=5)


@app.get("/lessons/<int:position>")
def lesson(position: int) -> str:  # only a url_for target
    return str(position)
