"""A designated safeguarding lead's week, walked in the browser: written once, driven by the tests
(tests/browser/test_safeguarding_week.py: axe and reflow at each width) and by `make screenshots`.

- a course assigned to a group reaches a teacher invited into the group afterwards, due 14 days after joining;
- a reminder sent from a filtered matrix, through the page that shows the message first, at most one a day;
- an INSET session recorded once for a group and a person, counting towards compliance in the matrix;
- a policy published to read and understand, confirmed by a learner, shown in the report, the matrix and its CSV,
  and asked again when a new version is published;
- the inspection record PDF: the school's name and the date on every page, each person's completion date, score,
  certificate code and expiry; and the one-person record for a staff file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pyotp
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.browser.journeys import SAMPLE_TITLE, Checkpoint, pass_course_with_services, submit
from tests.browser.live import PASSWORD, LiveServer

# --- the school, made with the services (an admin would have set it up) ---------------------------


@dataclass
class School:
    live: LiveServer
    org_id: int
    name: str
    manager_email: str
    totp_secret: str
    members: dict[str, int] = field(default_factory=dict)  # name -> user id

    def add_member(self, name: str, *, groups: tuple[str, ...] = ()) -> str:
        """A member of staff with a password (they can sign in), in these groups (made when new); their email."""
        from elearn.auth.service import register_user
        from elearn.extensions import db
        from elearn.models import Group, GroupMembership

        email = self.live.unique_email(re.sub(r"\W", "", name.lower()))
        with self.live.context():
            user = register_user(name, email, PASSWORD, organisation_id=self.org_id)
            for group_name in groups:
                group = db.session.scalars(select(Group).where(Group.organisation_id == self.org_id,
                                                               Group.name == group_name)).first()
                if group is None:
                    group = Group(organisation_id=self.org_id, name=group_name)
                    db.session.add(group)
                    db.session.flush()
                db.session.add(GroupMembership(group_id=group.id, user_id=user.id))
            db.session.commit()
            self.members[name] = user.id
        return email

    def assign_sample_course(self, *, due_on: date) -> None:
        """The sample course for everyone, through the service; a past due date is then written directly (the
        service only takes future dates: this is the state a missed deadline leaves)."""
        from elearn.clock import london_today
        from elearn.compliance.assignments import assign_course
        from elearn.extensions import db
        from elearn.models import Assignment, Course, Organisation, User

        with self.live.context():
            org = db.session.get(Organisation, self.org_id)
            manager = db.session.scalars(select(User).where(User.email == self.manager_email)).one()
            course = db.session.scalars(select(Course).where(Course.slug == "sample-course")).one()
            assign_course(org, course.id, max(due_on, london_today()), actor=manager)
            db.session.execute(update(Assignment).where(Assignment.course_id == course.id,
                                                        Assignment.user_id.in_(self.members.values()))
                               .values(due_on=due_on))
            db.session.commit()


def new_school(live: LiveServer, name: str) -> School:
    """An organisation and its manager with two-factor sign-in already on."""
    from elearn.auth import two_factor
    from elearn.auth.service import register_user
    from elearn.extensions import db
    from elearn.models import Organisation, Role

    serial = live.unique_email("school").split("@")[0]
    email = live.unique_email("dsl")
    with live.context():
        org = Organisation(name=f"{name} {serial[6:]}", slug=serial)
        db.session.add(org)
        db.session.commit()
        manager = register_user("Dana Lead", email, PASSWORD, role=Role.MANAGER, organisation_id=org.id)
        secret = two_factor.start_setup(manager)
        two_factor.confirm_setup(manager, secret, pyotp.TOTP(secret).now(), password=PASSWORD)
        return School(live=live, org_id=org.id, name=org.name, manager_email=email, totp_secret=secret)


def sign_in(page: Page, live: LiveServer, email: str, totp_secret: str | None = None) -> None:
    page.goto(live.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    submit(page, "Log in")
    if totp_secret is not None:
        # the next time step: the set-up spent the current one, and the server allows one step of drift
        page.locator("#code").fill(pyotp.TOTP(totp_secret).at(datetime.now() + timedelta(seconds=30)))
        page.locator("main form input[type=submit], main form button[type=submit]").last.click()
        page.wait_for_load_state("load")
    expect(page.locator(".nav-user")).to_be_visible()


def nav(page: Page, label: str) -> None:
    page.locator("nav.manage-nav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("load")


def flash(page: Page) -> str:
    return page.locator(".flash-region").inner_text()


def uk(day: date) -> str:
    from elearn.clock import uk_date

    return uk_date(day)


def today() -> date:
    from elearn.clock import london_today

    return london_today()


# --- the walks: each opens its pages with open_page() and calls checkpoint(page, name) on every screen ---


def group_assignment_reaches_a_later_joiner(live: LiveServer, open_page: Callable[[], Page], checkpoint: Checkpoint) -> None:
    school = new_school(live, "Riverside Primary")
    page = open_page()
    sign_in(page, live, school.manager_email, school.totp_secret)

    nav(page, "Groups")
    page.get_by_label("Group name").fill("Teaching staff")
    submit(page, "Add group")
    expect(page.locator("table")).to_contain_text("Teaching staff")
    checkpoint(page, "groups")

    nav(page, "Assign courses")
    page.locator("#course_id").select_option(label=SAMPLE_TITLE)
    page.get_by_label("A group", exact=True).check()
    page.locator("#group_id").select_option(label="Teaching staff")
    page.locator("#due_on").fill((today() + timedelta(days=30)).isoformat())
    page.locator("#due_in_days").fill("14")
    submit(page, "Assign course")
    expect(page.locator(".flash-region")).to_contain_text("Assigned to 0 people")
    checkpoint(page, "assigned-to-an-empty-group")

    nav(page, "People")
    page.get_by_role("link", name="Invite someone").click()
    teacher, teacher_email = "Theo Newstart", live.unique_email("teacher")
    page.locator("#display_name").fill(teacher)
    page.locator("#email").fill(teacher_email)
    page.locator("#group_id").select_option(label="Teaching staff")
    checkpoint(page, "invite-into-the-group")
    submit(page, "Send invitation")
    expect(page.locator(".flash-region")).to_contain_text(f"Invitation sent to {teacher_email}")
    checkpoint(page, "people-with-the-invitation")

    nav(page, "Training matrix")  # the pending invitee is in the matrix already, with the group's course
    invited = page.locator("tbody tr.invited", has_text=teacher)
    expect(invited).to_contain_text("Not started")
    expect(invited).to_contain_text("due 14 days after joining")
    checkpoint(page, "matrix-with-the-invitee")

    message = next(m for m in reversed(live.outbox()) if teacher_email in str(m["To"]))
    link = re.search(r"https?://\S+/invitations/\S+", message.get_content())
    assert link, message.get_content()
    learner = open_page()
    learner.goto(link.group(0))
    checkpoint(learner, "invitation")
    learner.locator("#password").fill(PASSWORD)
    learner.locator("#confirm").fill(PASSWORD)
    learner.locator("main form button[type=submit], main form input[type=submit]").last.click()
    learner.wait_for_load_state("load")
    expect(learner.locator(".nav-user")).to_contain_text(teacher)
    mine = learner.locator("section[aria-labelledby=assigned-heading] tbody tr", has_text=SAMPLE_TITLE)
    expect(mine).to_contain_text(uk(today() + timedelta(days=14)))  # counted from the day they joined
    expect(mine).to_contain_text("Not started")
    checkpoint(learner, "my-learning-of-the-later-joiner")

    page.reload()
    page.locator("#group").select_option(label="Teaching staff")
    submit(page, "Show")
    row = page.locator("tbody tr", has_text=teacher_email)
    expect(row).not_to_have_class(re.compile("invited"))
    cell = row.locator(f"td[data-label='{SAMPLE_TITLE}']")
    expect(cell).to_contain_text("Not started")
    expect(cell).to_contain_text(f"due {uk(today() + timedelta(days=14))}")
    expect(page.locator("tbody tr.invited")).to_have_count(0)
    checkpoint(page, "matrix-the-joiner-in-the-group")


def reminder_from_a_filtered_matrix(live: LiveServer, open_page: Callable[[], Page], checkpoint: Checkpoint) -> None:
    school = new_school(live, "Hillside Academy")
    ada = school.add_member("Ada Overdue", groups=("Early years",))
    ben = school.add_member("Ben Overdue", groups=("Early years",))
    cal = school.add_member("Cal Elsewhere", groups=("Key stage 2",))
    school.assign_sample_course(due_on=today() - timedelta(days=3))
    page = open_page()
    sign_in(page, live, school.manager_email, school.totp_secret)

    nav(page, "Training matrix")
    page.locator("#group").select_option(label="Early years")
    page.locator("#status").select_option(label="Overdue")
    submit(page, "Show")
    expect(page.locator("table.matrix tbody tr")).to_have_count(2)
    expect(page.locator("table.matrix tbody")).not_to_contain_text("Cal Elsewhere")
    checkpoint(page, "matrix-filtered-overdue")

    sent_before = len(live.outbox())
    page.get_by_role("link", name="Send a reminder to everyone overdue or expiring among these people").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Send reminders")
    expect(page.locator("main")).to_contain_text("2 people will get this email")
    expect(page.locator(".email-preview")).to_contain_text(SAMPLE_TITLE)
    recipients = page.locator("table tbody")
    expect(recipients).to_contain_text("Ada Overdue")
    expect(recipients).to_contain_text("Ben Overdue")
    expect(recipients).not_to_contain_text("Cal Elsewhere")
    assert len(live.outbox()) == sent_before  # showing the message sends nothing
    checkpoint(page, "reminder-confirm")

    submit(page, "Send 2 reminders")
    expect(page.locator(".flash-region")).to_contain_text("Reminder sent to 2 people")
    new = live.outbox()[sent_before:]
    assert sorted(str(m["To"]) for m in new) == sorted([ada, ben]), [m["To"] for m in new]
    assert all(SAMPLE_TITLE in m.get_content() for m in new)
    assert cal not in {str(m["To"]) for m in new}
    checkpoint(page, "reminder-sent")

    page.go_back()  # the same filter again on the same day: nobody gets a second one
    page.reload()
    expect(page.locator("main")).to_contain_text("Nobody here can be sent a reminder now")
    expect(page.locator("#already + p + ul")).to_contain_text("Ada Overdue")
    checkpoint(page, "reminder-already-sent-today")
    assert len(live.outbox()) == sent_before + 2


def inset_session_for_a_group(live: LiveServer, open_page: Callable[[], Page], checkpoint: Checkpoint) -> None:
    school = new_school(live, "Meadow Infant School")
    school.add_member("Ada Attended", groups=("All teaching staff",))
    school.add_member("Ben Attended", groups=("All teaching staff",))
    school.add_member("Cal Lunchtime")
    school.add_member("Dee Absent")
    school.assign_sample_course(due_on=today() + timedelta(days=20))
    page = open_page()
    sign_in(page, live, school.manager_email, school.totp_secret)

    nav(page, "Face-to-face training")
    page.get_by_role("link", name="Record a session").click()
    page.wait_for_load_state("load")
    checkpoint(page, "session-new")
    held_on, until = today() - timedelta(days=1), today() + timedelta(days=365)
    page.locator("#topic").fill("Annual safeguarding update (INSET)")
    page.locator("#held_on").fill(held_on.isoformat())
    page.locator("#trainer").fill("Priya Shah, local authority safeguarding team")
    page.locator("#hours").fill("1.5")
    page.get_by_label(SAMPLE_TITLE, exact=True).check()
    page.get_by_label("Counts towards compliance for these courses").check()
    page.locator("#counts_until").fill(until.isoformat())
    page.get_by_label("All teaching staff", exact=True).check()
    page.get_by_label(re.compile(r"^Cal Lunchtime")).check()
    submit(page, "Record the session")
    expect(page.locator(".flash-region")).to_contain_text("Session recorded.")
    expect(page.get_by_role("heading", level=2, name="Attendance (3)")).to_be_visible()
    attendance = page.locator("#attendance-caption").locator("xpath=..")
    for name in ("Ada Attended", "Ben Attended", "Cal Lunchtime"):
        expect(attendance).to_contain_text(name)
    expect(attendance).not_to_contain_text("Dee Absent")
    expect(page.locator(".facts")).to_contain_text(f"Yes, for these courses, until {uk(until)}")
    checkpoint(page, "session-recorded")

    nav(page, "Training matrix")
    for name in ("Ada Attended", "Ben Attended", "Cal Lunchtime"):
        cell = page.locator("table.matrix tbody tr", has_text=name).locator("td", has_text=re.compile("Compliant"))
        expect(cell).to_contain_text(f"until {uk(until)}")
        expect(cell).to_contain_text("(external)")
    absent = page.locator("table.matrix tbody tr", has_text="Dee Absent")
    expect(absent).to_contain_text("Not started")
    checkpoint(page, "matrix-after-the-session")

    page.locator("table.matrix tbody tr", has_text="Ada Attended").get_by_role("link", name="Ada Attended", exact=True).click()
    page.wait_for_load_state("load")
    attended = page.locator("#face-to-face-caption").locator("xpath=..")
    expect(attended).to_contain_text("Annual safeguarding update (INSET)")
    expect(attended).to_contain_text(uk(held_on))
    expect(attended).to_contain_text("Priya Shah")
    checkpoint(page, "person-record-with-the-session")


def policy_from_publish_to_report(live: LiveServer, open_page: Callable[[], Page], checkpoint: Checkpoint) -> None:
    school = new_school(live, "Oakfield High School")
    ada = school.add_member("Ada Reader")
    school.add_member("Ben Notyet")
    page = open_page()
    sign_in(page, live, school.manager_email, school.totp_secret)

    nav(page, "Read and understood")
    page.get_by_role("link", name="Publish a document").click()
    page.wait_for_load_state("load")
    page.get_by_role("radio", name="Our own policy").check()
    page.locator("#label").fill("September 2026")
    page.locator("#title").fill("Child protection policy")
    page.locator("#url").fill("https://example.org/policies/child-protection.pdf")
    checkpoint(page, "signoff-publish")
    submit(page, "Publish")
    expect(page.locator(".flash-region")).to_contain_text("Published. Now choose who must read it.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Child protection policy")

    due = today() + timedelta(days=14)
    page.locator("#due_on").fill(due.isoformat())
    submit(page, "Ask them to read it")
    expect(page.locator("main")).to_contain_text("0 of 3 have read and understood version September 2026")
    checkpoint(page, "signoff-report-nobody-yet")

    learner = open_page()
    sign_in(learner, live, ada)
    card = learner.locator("#read-and-understood + ul li", has_text="Child protection policy")
    expect(card).to_contain_text(f"Please read it by {uk(due)}")
    checkpoint(learner, "my-learning-a-policy-to-read")
    card.get_by_role("button", name=re.compile("^I have read and understood it")).click()
    learner.wait_for_load_state("load")
    expect(learner.locator(".flash-region")).to_contain_text("recorded as read and understood")
    expect(card).to_contain_text(f"You confirmed you have read and understood it on {uk(today())}")
    checkpoint(learner, "my-learning-policy-confirmed")

    page.reload()
    expect(page.locator("main")).to_contain_text("1 of 3 have read and understood version September 2026")
    expect(page.locator("tbody tr", has_text="Ada Reader")).to_contain_text(uk(today()))
    expect(page.locator("tbody tr", has_text="Ben Notyet")).to_contain_text("Not yet")
    checkpoint(page, "signoff-report-one-confirmed")

    nav(page, "Training matrix")
    column = page.locator("table.matrix thead th", has_text="Child protection policy")
    expect(column).to_contain_text("read and understood, September 2026")
    expect(page.locator("table.matrix tbody tr", has_text="Ada Reader").locator("td[data-label='Child protection policy']")
           ).to_contain_text(f"Read{uk(today())}")
    expect(page.locator("table.matrix tbody tr", has_text="Ben Notyet").locator("td[data-label='Child protection policy']")
           ).to_contain_text(f"Not yetdue {uk(due)}")
    checkpoint(page, "matrix-with-the-policy")
    exported = list(csv.reader(io.StringIO(page.request.get(live.url + "/manage/matrix/export.csv").text().lstrip("\ufeff"))))
    column = exported[0].index("Child protection policy (September 2026): read and understood")
    assert {row[0]: row[column] for row in exported[1:]} == {
        "Ada Reader": today().isoformat(), "Ben Notyet": "not yet", "Dana Lead": "not yet"}

    # A new version asks again: Ada's earlier confirmation stays on record, but the matrix wants the new one.
    nav(page, "Read and understood")
    page.get_by_role("link", name="Child protection policy").click()
    page.wait_for_load_state("load")
    page.locator("#version-label").fill("January 2027")
    page.locator("#version-url").fill("https://example.org/policies/child-protection-2027.pdf")
    submit(page, "Publish the new version")
    expect(page.locator(".flash-region")).to_contain_text("everyone asked to read the document is asked again")
    expect(page.locator("tbody tr", has_text="Ada Reader")).to_contain_text("Not yet (confirmed September 2026)")
    learner.reload()
    expect(learner.locator("#read-and-understood + ul li", has_text="Child protection policy")).to_contain_text(
        "Version January 2027")
    checkpoint(page, "signoff-report-new-version")


def _pdf_pages(body: bytes) -> list[str]:
    assert body.startswith(b"%PDF-")
    return [p.extract_text() for p in PdfReader(io.BytesIO(body)).pages]


def _person_in(text: str, name: str, *, names: list[str]) -> str:
    """The record's words from this person's name up to the next person's."""
    start = text.index(name)
    ends = [text.find(other, start + len(name)) for other in names if other != name]
    return text[start:min([end for end in ends if end > 0], default=len(text))]


def _add_many_staff(school: School, count: int) -> None:
    """Enough staff for the record to run over several pages (rows written directly: hashing a password for
    each would only slow the test)."""
    from elearn.extensions import db
    from elearn.models import User
    from elearn.security import hash_password

    with school.live.context():
        password_hash = hash_password(PASSWORD)
        for n in range(count):
            user = User(email=school.live.unique_email("staff"), display_name=f"Staff Member {n:03d}",
                        password_hash=password_hash, organisation_id=school.org_id)
            db.session.add(user)
            db.session.flush()
            school.members[user.display_name] = user.id
        db.session.commit()


def inspection_record_pdf(live: LiveServer, open_page: Callable[[], Page], checkpoint: Checkpoint) -> None:
    from elearn.extensions import db
    from elearn.models import Certificate

    school = new_school(live, "St Aidan's C of E Primary")
    passed = {"Ada Passed": school.add_member("Ada Passed"), "Ben Passed": school.add_member("Ben Passed")}
    _add_many_staff(school, 60)
    school.assign_sample_course(due_on=today() + timedelta(days=30))
    for email in passed.values():
        pass_course_with_services(live, email)
    with live.context():
        certificates = {c.learner_name: c for c in db.session.scalars(select(Certificate).where(
            Certificate.user_id.in_([school.members[name] for name in passed])))}
        facts = {name: (c.code, c.score_percent, c.expires_on) for name, c in certificates.items()}
    from elearn.certificates.codes import format_code

    page = open_page()
    sign_in(page, live, school.manager_email, school.totp_secret)
    nav(page, "Training matrix")
    submit(page, "Prepare the training record for inspection (PDF)")
    expect(page.locator("[role=status]")).to_contain_text("Your file is ready")
    checkpoint(page, "record-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Download training-record-.*\.pdf$")).click()
    with open(download.value.path(), "rb") as handle:
        pages = _pdf_pages(handle.read())

    assert len(pages) >= 2, "the record should run over several pages with 62 people"
    produced = uk(today())
    for number, text in enumerate(pages, start=1):
        assert school.name in text, f"page {number} lacks the school's name:\n{text[:300]}"
        assert f"Produced {produced}" in text, f"page {number} lacks the date produced:\n{text[:300]}"
        assert "Showing: Everyone" in text, f"page {number} lacks the filter"
        assert f"Page {number} of {len(pages)}" in text
    everything = " ".join(" ".join(pages).split())  # table cells wrap: compare the words in reading order
    completed = f"{today():%d/%m/%Y}"
    for name, (code, score, expires_on) in facts.items():
        line = _person_in(everything, name, names=[*passed, "Staff Member"])
        assert f"{SAMPLE_TITLE} Compliant" in line, line
        assert f"{completed} {score}% {format_code(code)} {expires_on:%d/%m/%Y}" in line, line
    assert "Staff Member 059" in everything and "Not started" in everything

    # The one-person record for a staff file, from the person's page.
    page.goto(live.url + f"/manage/people/{school.members['Ada Passed']}")
    checkpoint(page, "person-with-record-link")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("training record", re.IGNORECASE)).first.click()
    with open(download.value.path(), "rb") as handle:
        (text, *rest) = _pdf_pages(handle.read())
    assert not rest
    code, score, expires_on = facts["Ada Passed"]
    words = " ".join(text.split())
    assert school.name in words and "One person: Ada Passed" in words and "Ben Passed" not in words
    assert f"{SAMPLE_TITLE} Compliant" in words
    assert f"{completed} {score}% {format_code(code)} {expires_on:%d/%m/%Y}" in words, words


WALKS = (group_assignment_reaches_a_later_joiner, reminder_from_a_filtered_matrix, inset_session_for_a_group,
         policy_from_publish_to_report, inspection_record_pdf)
