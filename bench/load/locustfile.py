"""200 learners through the real journey: sign in, lessons, an assessment, a certificate download.

Each simulated learner signs in once (GET the form, parse the CSRF token, POST), then takes the courses
in turn: start, open and mark every lesson complete, start the assessment, answer every question on the
one-page layout, submit, open My certificates and download the PDF. The answer key is read from the
bench database (psycopg, BENCH_DSN), so most attempts pass. Then it starts the next course. `BarePage`
is the ceiling: GET / of bench/load/bare_app.py, no think time.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import time
from urllib.parse import urlencode

import psycopg
from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = "load-test-passphrase-2026"  # noqa: S105 - matches seed.py
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "200"))
COURSES = os.environ.get("BENCH_COURSES", "safeguarding-essentials,fgm-awareness,child-sexual-exploitation,"
                         "child-on-child-abuse").split(",")
TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
ATTEMPT = re.compile(r"/attempts/(\d+)")
DOWNLOAD = re.compile(r'href="(/certificates/\d+/download)"')
_numbers = itertools.count()
# A form as a browser posts it; encoded here because geventhttpclient's own encoding drops repeated fields
# (a question with several right answers posts answer-N once per ticked box).
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

KEY_SQL = """
SELECT aq.position, aq.option_order, array_agg(o.id) FILTER (WHERE o.is_correct)
FROM attempt_questions aq JOIN options o ON o.question_id = aq.question_id
WHERE aq.attempt_id = %s GROUP BY aq.id
"""


class SteadyPhase:
    """Response times of the requests that start after every learner has started (and signed in once).

    Locust's own percentiles cover the whole run, ramp-up included, when 200 Argon2id sign-ins (about 0.14 s of
    CPU each) arrive five a second on the same two cores. This records the phase after it too, exactly (every
    request, not a sampled window), so both can be reported. Written to STEADY_CSV when the run stops.
    """

    def __init__(self) -> None:
        self.started_at: float | None = None
        self.times: list[float] = []
        self.failures = 0

    def on_spawning_complete(self, user_count: int, **_: object) -> None:
        self.started_at = time.time()

    def on_request(self, start_time: float, response_time: float, exception: object, **_: object) -> None:
        if self.started_at is not None and start_time >= self.started_at:
            self.times.append(response_time)
            self.failures += exception is not None

    def on_test_stop(self, **_: object) -> None:
        path = os.environ.get("STEADY_CSV")
        if not path or self.started_at is None:
            return
        times = sorted(self.times)
        seconds = max(time.time() - self.started_at, 1e-9)
        def percentile(share: float) -> float:
            return times[min(len(times) - 1, int(share * len(times)))] if times else 0.0
        with open(path, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["requests", "requests_per_s", "p50", "p95", "p99", "failures"])
            writer.writerow([len(times), f"{len(times) / seconds:.1f}", round(percentile(0.50)),
                             round(percentile(0.95)), round(percentile(0.99)), self.failures])


_steady = SteadyPhase()
events.spawning_complete.add_listener(_steady.on_spawning_complete)
events.request.add_listener(_steady.on_request)
events.test_stop.add_listener(_steady.on_test_stop)


_key_connection: psycopg.Connection | None = None


def answer_key(attempt_id: int) -> dict[str, list[str]]:
    """The option numbers (1-based, in the frozen order) that are right, per question: the form a browser posts.

    One connection for the whole run: psycopg is not gevent's, so connecting (several ms) would stall every
    simulated learner at once and show up in their response times.
    """
    global _key_connection
    if _key_connection is None or _key_connection.closed:
        _key_connection = psycopg.connect(os.environ["BENCH_DSN"], autocommit=True)
    rows = _key_connection.execute(KEY_SQL, (attempt_id,)).fetchall()
    return {f"answer-{position}": [str(n) for n, option_id in enumerate(order, start=1) if option_id in set(correct or [])]
            for position, order, correct in rows}


class Learner(FastHttpUser):
    # FastHttpUser (geventhttpclient), not HttpUser (requests): the generator shares the server's two cores, and
    # requests spends several times the CPU per request; what it burns is taken from the server being measured.
    # Think time between steps: before every request the learner makes (locust applies wait_time only between
    # tasks, and one task here is a whole course of about 30 requests, so without self.wait() in page() and post()
    # each learner fired a course's requests back to back: a closed loop of 200 with no think time at all).
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.number = next(_numbers) % LEARNERS
        self.courses = itertools.cycle(COURSES[self.number % len(COURSES):] + COURSES[: self.number % len(COURSES)])
        self.token = ""
        page = self.client.get("/login", name="/login [form]")
        self.token = TOKEN.search(page.text).group(1)
        self.wait()
        with self.client.post("/login", name="/login", allow_redirects=False, catch_response=True, headers=FORM,
                              data=urlencode({"csrf_token": self.token, "password": PASSWORD,
                                              "email": f"learner{self.number:03d}@load.elearn.test"})) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
                return
        self.page("/my-learning", "/my-learning")

    def page(self, path: str, name: str) -> str:
        self.wait()
        response = self.client.get(path, name=name)
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response.text

    def post(self, path: str, name: str, also_expected: int | None = None, **data: object) -> str:
        """POST a form with the CSRF token; a 302 is the success every form here answers with.

        `also_expected`: a refusal the journey meets by design (409 when starting the assessment of a course the
        learner has already passed, once they have been round every course), counted as a success and answered "".
        """
        self.wait()
        with self.client.post(path, name=name, allow_redirects=False, catch_response=True, headers=FORM,
                              data=urlencode({"csrf_token": self.token, **data}, doseq=True)) as response:
            if response.status_code == also_expected:
                response.success()
                return ""
            if response.status_code != 302:
                response.failure(f"{name} answered {response.status_code}")
                return ""
            return response.headers["Location"]

    @task
    def take_a_course(self) -> None:
        slug = next(self.courses)
        self.page(f"/courses/{slug}", "/courses/[slug]")
        location = self.post(f"/courses/{slug}/start", "/courses/[slug]/start")
        for _ in range(30):  # bounded: no course has this many lessons
            match = re.search(rf"/courses/{slug}/lessons/(\d+)", location or "")
            if not match:
                break
            self.page(f"/courses/{slug}/lessons/{match[1]}", "/courses/[slug]/lessons/[n]")
            location = self.post(f"/courses/{slug}/lessons/{match[1]}/complete", "/courses/[slug]/lessons/[n]/complete")
        self.page(f"/courses/{slug}/assessment", "/courses/[slug]/assessment")
        location = self.post(f"/courses/{slug}/assessment/start", "/courses/[slug]/assessment/start",
                             also_expected=409, layout="all")  # 409: passed already
        attempt = ATTEMPT.search(location or "")
        if attempt is None:
            return  # already passed, or the daily attempt limit: the next course
        attempt_id = int(attempt[1])
        self.page(f"/attempts/{attempt_id}/all", "/attempts/[id]/all")
        self.post(f"/attempts/{attempt_id}/all", "/attempts/[id]/all [answers]", **answer_key(attempt_id))
        self.page(f"/attempts/{attempt_id}/confirm", "/attempts/[id]/confirm")
        self.post(f"/attempts/{attempt_id}/submit", "/attempts/[id]/submit")
        self.page(f"/attempts/{attempt_id}/result", "/attempts/[id]/result")
        mine = self.page("/my-certificates", "/my-certificates")
        link = DOWNLOAD.search(mine)
        if link:
            with self.client.get(link[1], name="/certificates/[id]/download", catch_response=True) as response:
                if not response.content.startswith(b"%PDF"):
                    response.failure("the download is not a PDF")


class BarePage(FastHttpUser):
    """The ceiling: the same server settings, a page that does nothing."""

    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/", name="/ (bare)")
