"""The learner's and the manager's journeys, written once and driven by several tests.

Each journey calls `checkpoint(name)` on every screen it reaches. The journey tests pass a
checkpoint that only checks the page's health (no CSP violation, no script error); the
accessibility test runs axe at both widths there; `make screenshots` saves the screen.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlparse

import pyotp
from playwright.sync_api import Dialog, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from tests.browser.live import PASSWORD, LiveServer, answer_key

Checkpoint = Callable[[Page, str], None]
SAMPLE_TITLE = "Sample safeguarding refresher"


# --- page health: CSP and script errors -------------------------------------------------------


@dataclass
class PageProblems:
    """Console errors that mean a Content-Security-Policy violation, and uncaught script errors."""

    csp: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def assert_none(self, where: str) -> None:
        assert not self.csp, f"CSP violations on {where}:\n" + "\n".join(self.csp)
        assert not self.script_errors, f"script errors on {where}:\n" + "\n".join(self.script_errors)


def watch(page: Page) -> PageProblems:
    problems = PageProblems()

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            problems.csp.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.script_errors.append(f"{page.url}: {error}"))
    return problems


def health_checkpoint(problems: PageProblems) -> Checkpoint:
    def check(page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        problems.assert_none(f"{name} ({page.url})")

    return check


# --- small helpers ----------------------------------------------------------------------------


def submit(page: Page, name: str, *, exact: bool = True) -> None:
    """Press a button that submits a form and wait for the next page."""
    page.get_by_role("button", name=name, exact=exact).click()
    page.wait_for_load_state("load")


def follow(page: Page, name: str, *, exact: bool = True, within: str = "body") -> None:
    page.locator(within).get_by_role("link", name=name, exact=exact).first.click()
    page.wait_for_load_state("load")


def attempt_id_from(page: Page) -> int:
    match = re.search(r"/attempts/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def answer_questions(page: Page, live: LiveServer, checkpoint: Checkpoint, *, correctly: bool) -> None:
    """Answer every question one per page, choosing right or wrong options, and reach the check page."""
    key = answer_key(live, attempt_id_from(page))
    for position in sorted(key):
        expect(page).to_have_url(re.compile(rf"/questions/{position}$"))
        if position == 1:
            checkpoint(page, "assessment-question")
        labels = page.locator("fieldset.question label")
        texts = [t.strip() for t in labels.all_inner_texts()]
        wrong = [t for t in texts if t not in key[position]]
        for choice in ([t for t in texts if t in key[position]] if correctly else wrong[:1]):
            page.get_by_label(choice, exact=True).check()
        last = position == len(key)
        submit(page, "Save and check your answers" if last else "Save and next")
    expect(page).to_have_url(re.compile(r"/confirm$"))


def warn_before_leaving_unsaved(page: Page) -> None:
    """The small script asks before leaving a question page with a changed, unsaved answer."""
    page.locator("fieldset.question input").first.check()
    dialogs: list[str] = []

    def stay(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    here = page.url
    page.get_by_role("link", name="Show all questions on one page").click()
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"], dialogs
    assert page.url == here


# --- the learner ------------------------------------------------------------------------------


@dataclass
class LearnerResult:
    email: str
    name: str
    certificate_code: str


def emailed_link(live: LiveServer, marker: str) -> str:
    """The link in the last email the live app sent (the test config keeps emails in memory)."""
    return live.url + marker + live.outbox()[-1].get_content().split(marker)[1].split()[0]


def learner_journey(page: Page, live: LiveServer, checkpoint: Checkpoint) -> LearnerResult:
    """Register, learn every lesson, fail, retake, pass, download the certificate and verify it."""
    name, email = "Alex Browser-Tester", live.unique_email("learner")
    page.goto(live.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding CPD courses")
    checkpoint(page, "catalogue-signed-out")
    for link, heading in (("Accessibility statement", "Accessibility statement"),
                          ("Privacy notice", None), ("Worried about a child?", None)):
        follow(page, link, within="footer")
        if heading:
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        checkpoint(page, "page-" + link.lower().replace(" ", "-").replace("?", ""))

    follow(page, "Create account", within="header")
    submit(page, "Create account")  # empty: the error summary and inline errors
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    checkpoint(page, "register-errors")
    page.locator("#display_name").fill(name)
    page.locator("#email").fill(email)
    submit(page, "Create account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    checkpoint(page, "register-sent")
    page.goto(emailed_link(live, "/register/"))  # the learner opens the link in the email
    expect(page.locator("#display_name")).to_have_value(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    submit(page, "Create account")
    expect(page.locator(".nav-user")).to_contain_text(name)
    checkpoint(page, "catalogue")

    follow(page, SAMPLE_TITLE)
    checkpoint(page, "course")
    submit(page, "Start course")
    lesson_count = page.locator(".contents-list li").count()
    assert lesson_count == 3
    for position in range(1, lesson_count + 1):
        expect(page.locator(".lesson h1")).to_be_visible()
        if position == 1:
            checkpoint(page, "lesson")
        submit(page, "Mark complete and finish" if position == lesson_count else "Mark complete and continue")
    expect(page.locator(".progress-text").first).to_have_text("100% complete")
    checkpoint(page, "course-complete")

    follow(page, "Take the assessment")
    checkpoint(page, "assessment-overview")
    submit(page, "Start the assessment (one question per page)")
    warn_before_leaving_unsaved(page)
    answer_questions(page, live, checkpoint, correctly=False)
    checkpoint(page, "assessment-check")
    submit(page, "Submit my answers")
    expect(page.get_by_role("heading", level=1)).to_contain_text("not passed")
    checkpoint(page, "result-not-passed")

    follow(page, "Try again")
    expect(page.locator("#history-title")).to_be_visible()
    checkpoint(page, "assessment-retake")
    submit(page, "Start the assessment (one question per page)")
    answer_questions(page, live, checkpoint, correctly=True)
    submit(page, "Submit my answers")
    expect(page.get_by_role("heading", level=1)).to_contain_text("you passed")
    checkpoint(page, "result-passed")

    follow(page, "My certificates", within="header")
    checkpoint(page, "certificates")
    code = page.locator("table code").first.inner_text().strip()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Download PDF")).first.click()
    pdf_path = download_info.value.path()
    with open(pdf_path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    text = " ".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert name in text and SAMPLE_TITLE in text, text[:300]

    follow(page, "Check a certificate", within="footer")
    checkpoint(page, "verify")
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(code)
    submit(page, "Check certificate")
    expect(page.locator(".lead")).to_contain_text("This certificate is valid")
    expect(page.locator(".facts")).to_contain_text(name)
    checkpoint(page, "verify-valid")

    follow(page, "My learning", within="header")
    checkpoint(page, "my-learning")
    return LearnerResult(email=email, name=name, certificate_code=code)


# --- the manager ------------------------------------------------------------------------------


def make_manager(live: LiveServer) -> tuple[str, str]:
    """An organisation and its manager, made with the services (an admin would do this); no two-factor yet."""
    from elearn.auth.service import register_user
    from elearn.extensions import db
    from elearn.models import Organisation, Role

    email = live.unique_email("manager")
    with live.context():
        org = Organisation(name=f"Riverside Primary School {live.serial[0]}", slug=f"riverside-{live.serial[0]}")
        db.session.add(org)
        db.session.commit()
        register_user("Morgan Manager", email, PASSWORD, role=Role.MANAGER, organisation_id=org.id)
        return email, org.name


def pass_course_with_services(live: LiveServer, email: str, slug: str = "sample-course") -> None:
    """The invited learner passes: the same services the pages call (the browser path is the learner journey)."""
    from elearn.assessment import attempts
    from elearn.assessment import service as assessment
    from elearn.extensions import db
    from elearn.learning import service as learning
    from elearn.models import Course, User

    with live.context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        course = db.session.scalars(select(Course).where(Course.slug == slug)).one()
        enrolment = learning.enrol(course, actor=user)
        for lesson in learning.list_lessons(enrolment):
            learning.record_lesson_read(enrolment, lesson, actor=user)
        attempt = assessment.start_attempt(enrolment, actor=user)
        attempt_id = attempt.id
    key = answer_key(live, attempt_id)
    with live.context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        attempt = attempts.get_open_attempt(attempt_id, actor=user)
        sheet = {}
        for position, correct in key.items():
            shown = attempts.get_shown_question(attempt, position)
            sheet[position] = tuple(o.number for o in shown.options if o.text in correct)
        assessment.save_answers(attempt, sheet, actor=user)
        assessment.submit_attempt(attempt, actor=user)


def totp_code(secret: str, used: set[str]) -> str:
    """A code the server has not seen yet: each time step is accepted once."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now())
    for step in range(now, now + 5):
        code = totp.generate_otp(step)
        if code not in used:
            used.add(code)
            return code
    raise AssertionError("no fresh TOTP code")


def export_urls(live: LiveServer) -> list[str]:
    """The manager's export routes, once a colleague's elearn/compliance export views exist."""
    urls = []
    for rule in live.app.url_map.iter_rules():
        if (rule.endpoint.startswith("compliance.") and "export" in (rule.endpoint + rule.rule)
                and "GET" in (rule.methods or ()) and not rule.arguments):
            urls.append(rule.rule)
    return sorted(urls)


@dataclass
class ManagerResult:
    learner_email: str
    exports_checked: list[str]


def manager_journey(page: Page, learner_page: Page, live: LiveServer, checkpoint: Checkpoint) -> ManagerResult:
    """Two-factor set-up, invite, assign, watch the status change when the learner passes, export."""
    manager_email, org_name = make_manager(live)
    used_codes: set[str] = set()
    page.goto(live.url + "/login")
    checkpoint(page, "login")
    page.locator("#email").fill(manager_email)
    page.locator("#password").fill(PASSWORD)
    submit(page, "Log in")
    expect(page).to_have_url(re.compile(r"/account/two-factor$"))
    qr_width = page.locator("img[alt^='QR code']").evaluate("img => img.complete ? img.naturalWidth : 0")
    assert qr_width > 0, "the two-factor QR code did not draw"
    checkpoint(page, "two-factor-setup")
    secret = page.locator("code.secret").inner_text().strip().replace(" ", "")
    page.locator("#current_password").fill(PASSWORD)
    page.locator("#code").fill(totp_code(secret, used_codes))
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is on")
    checkpoint(page, "recovery-codes")

    follow(page, "Manage", within="header")
    expect(page.locator(".org-name")).to_contain_text(org_name)
    checkpoint(page, "manage-dashboard")

    follow(page, "People", within="nav.manage-nav")
    follow(page, "Invite someone")
    checkpoint(page, "invite")
    learner_email, learner_name = live.unique_email("invited"), "Jordan Invited"
    page.locator("#display_name").fill(learner_name)
    page.locator("#email").fill(learner_email)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("load")
    expect(page.locator("#invitations + .table-scroll table")).to_contain_text(learner_email)  # the second table: staff come first
    checkpoint(page, "people-invitations")

    message = next(m for m in reversed(live.outbox()) if learner_email in str(getattr(m, "to", m)))
    link = re.search(r"https?://\S+/invitations/\S+", str(getattr(message, "body", message)))
    assert link, message
    learner_page.goto(link.group(0))
    checkpoint(learner_page, "invitation-accept")
    learner_page.locator("#password").fill(PASSWORD)
    learner_page.locator("#confirm").fill(PASSWORD)
    learner_page.locator("form button[type=submit], form input[type=submit]").last.click()
    learner_page.wait_for_load_state("load")
    expect(learner_page.locator(".nav-user")).to_contain_text(learner_name)

    follow(page, "Assign courses", within="nav.manage-nav")
    checkpoint(page, "assignments")
    page.locator("#course_id").select_option(label=SAMPLE_TITLE)
    page.locator("input[name=audience]").first.check()
    due = (date.today() + timedelta(days=30)).isoformat()
    page.locator("input[type=date]").fill(due)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state("load")

    follow(page, "Training matrix", within="nav.manage-nav")
    row = page.locator("tbody tr", has_text=learner_email)
    expect(row).to_contain_text("Not started")
    checkpoint(page, "matrix")

    learner_page.reload()
    checkpoint(learner_page, "my-learning-assigned")
    pass_course_with_services(live, learner_email)

    page.reload()
    expect(page.locator("tbody tr", has_text=learner_email)).to_contain_text("Compliant")
    checkpoint(page, "matrix-compliant")
    page.locator("tbody tr", has_text=learner_email).get_by_role("link", name=learner_name, exact=True).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(learner_name)
    checkpoint(page, "learner-detail")

    # A removal asks first, and the next page offers to undo it.
    page.get_by_role("link", name=f"Remove the assignment of {SAMPLE_TITLE}").click()
    page.wait_for_load_state("load")
    checkpoint(page, "confirm-remove-assignment")
    submit(page, "Remove the assignment")
    expect(page.locator("#assigned + p")).to_have_text("No courses assigned.")
    checkpoint(page, "undo-offered")
    submit(page, "Undo")
    expect(page.locator(".flash-region")).to_contain_text("Assignment restored")
    expect(page.locator("#assigned + .table-scroll table")).to_contain_text(SAMPLE_TITLE)

    follow(page, "Compliance", within="nav.manage-nav")
    checkpoint(page, "manage-dashboard-after")

    checked = []
    for url in export_urls(live):
        response = page.request.get(live.url + url)
        assert response.ok, (url, response.status)
        kind = response.headers.get("content-type", "")
        body = response.body()
        if "csv" in kind:
            rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
            assert any(learner_email in cell for r in rows for cell in r), rows[:3]
        elif "pdf" in kind:
            assert body.startswith(b"%PDF-")
            assert len(PdfReader(io.BytesIO(body)).pages) >= 1
        checked.append(f"{urlparse(url).path} ({kind.split(';')[0]})")
    return ManagerResult(learner_email=learner_email, exports_checked=checked)
