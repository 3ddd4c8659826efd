"""Face-to-face session requirements are cells like the courses: each person whose roles at the setting need a
topic has its status by the one compliance rule, from the audit's one rule of evidence (attendance at a session of
the topic, or training recorded elsewhere under that title). The matrix, its CSV, the dashboard and the reminders
all show them; another organisation never sees them.

Hand-worked, today = T:
- Dee, DSL of Alder, attended "Designated safeguarding lead training" at T − 25 months; the rule is every 24
  months, so it counted until T − 1 month: overdue since then.
- Rob, safer recruiter of Alder, has training recorded elsewhere titled "SAFER recruitment" on T − 365 days; the
  rule is every 36 months: compliant until T − 365 days + 36 months.
- Ann, staff of Alder and not a DSL, has no DSL training cell at all.
- Nia became deputy DSL 10 days ago, with no training: due at the end of her 28 induction days, not started.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from elearn.clock import LONDON, add_months, london_today
from elearn.compliance import exports, reports
from elearn.compliance.chasing import plan_chase, send_chase
from elearn.compliance.compliance import ComplianceStatus
from elearn.compliance.matrix import MatrixQuery, training_matrix
from elearn.compliance.reminders import iso_week, send_reminders
from elearn.compliance.session_grid import SessionCell, session_grid
from elearn.errors import InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import AuditEvent, OrganisationKind, OutboxEmail, ReminderLog, Role, TrainingRequirement, User
from elearn.network import requirement_sets, service
from elearn.network.requirement_sets import RequirementInput
from elearn.network.requirements import DSL_TRAINING_TOPIC, SAFER_RECRUITMENT_TOPIC, effective_requirements
from elearn.training import sessions
from elearn.training.sessions import SessionInput
from tests.makers import days
from tests.test_downloads import HOSTILE

DSL_KEY, SAFER_KEY = DSL_TRAINING_TOPIC.casefold(), SAFER_RECRUITMENT_TOPIC.casefold()


def session_requirement(topic, every_months, mode="rolling", induction_days=28):  # type: ignore[no-untyped-def]
    return RequirementInput("session", None, topic, "", every_months, mode, induction_days)


def _in_force_since_long_ago(org) -> None:  # type: ignore[no-untyped-def]
    """The requirements were set three years ago (not today: no one's first deadline counts from today)."""
    long_ago = datetime.combine(add_months(london_today(), -36), time(12), tzinfo=LONDON)
    db.session.execute(update(TrainingRequirement).where(TrainingRequirement.organisation_id == org.id)
                       .values(created_at=long_ago))
    db.session.commit()


def _joined_long_ago(*people) -> None:  # type: ignore[no-untyped-def]
    for person in people:
        person.joined_organisation_at = datetime.combine(add_months(london_today(), -60), time(9), tzinfo=LONDON)
    db.session.commit()


@pytest.fixture
def alder(cast, make):  # type: ignore[no-untyped-def]
    """Alder's session requirements, its DSL, safer recruiter and a new deputy, and their evidence."""
    org, manager = cast.org_a, cast.manager_a
    requirement_sets.adopt_defaults(org, actor=manager)  # KCSIE: DSL and deputies every 2 years, recruiters 3
    _in_force_since_long_ago(org)
    dee = make.user(name="Dee Lead", email="dee@alder.example", org=org)
    rob = make.user(name="Rob Recruiter", email="rob@alder.example", org=org)
    nia = make.user(name="Nia Deputy", email="nia@alder.example", org=org)
    _joined_long_ago(dee, rob, nia, cast.learner_a)
    service.add_duty(org, dee, "dsl", add_months(london_today(), -48), actor=manager)
    service.add_duty(org, rob, "safer_recruiter", add_months(london_today(), -48), actor=manager)
    service.add_duty(org, nia, "deputy_dsl", days(-10), actor=manager)
    attended = add_months(london_today(), -25)
    sessions.record_session(org, SessionInput(DSL_TRAINING_TOPIC, "Local authority DSL team", attended,
                                              Decimal(6)), user_ids=[dee.id], group_ids=[], register=None,
                            actor=manager)
    make.external_training(user=rob, title="SAFER recruitment", provider="NSPCC", completed_on=days(-365))
    return dee, rob, nia


def test_the_cells_are_the_hand_worked_statuses(cast, alder):
    dee, rob, nia = alder
    grid = session_grid(cast.org_a)
    attended = add_months(london_today(), -25)
    assert [c.topic for c in grid.columns] == [DSL_TRAINING_TOPIC, SAFER_RECRUITMENT_TOPIC]
    assert grid.cells[dee.id] == {DSL_KEY: SessionCell(
        ComplianceStatus.OVERDUE, add_months(attended, 24), add_months(attended, 24), attended,
        f"Attended: {DSL_TRAINING_TOPIC} (Local authority DSL team)")}
    assert grid.cells[rob.id] == {SAFER_KEY: SessionCell(
        ComplianceStatus.COMPLIANT, add_months(days(-365), 36), add_months(days(-365), 36), days(-365),
        "Training elsewhere: SAFER recruitment (NSPCC)")}
    assert grid.cells[nia.id] == {DSL_KEY: SessionCell(ComplianceStatus.NOT_STARTED, days(18), None, None, "")}
    assert cast.learner_a.id not in grid.cells  # not a DSL: no cell for DSL training
    assert cast.manager_a.id not in grid.cells


def test_another_organisation_sees_none_of_them(cast, alder, client, sign_in):
    assert session_grid(cast.org_b).columns == []
    dee, _, _ = alder
    assert dee.id not in session_grid(cast.org_b, [dee.id]).cells
    sign_in(cast.manager_b)
    page = client.get("/manage/matrix").get_data(as_text=True)
    assert DSL_TRAINING_TOPIC not in page and "Dee Lead" not in page


def test_the_matrix_shows_a_column_per_topic_and_each_persons_cell(cast, alder, client, sign_in):
    sign_in(cast.manager_a)
    page = client.get("/manage/matrix").get_data(as_text=True)
    assert f"{DSL_TRAINING_TOPIC}<span class=\"cell-date\">face-to-face session</span>" in page
    dee_row = page[page.index("Dee Lead"):page.index("</tr>", page.index("Dee Lead"))]
    assert "status-overdue" in dee_row and "not required" in dee_row  # overdue DSL training; no safer recruitment
    ann_row = page[page.index("Ann Learner"):page.index("</tr>", page.index("Ann Learner"))]
    assert "status-" not in ann_row  # staff, not a DSL: neither session is required of her


def _csv(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_the_csv_carries_the_cells(cast, alder, client, sign_in):
    sign_in(cast.manager_a)
    rows = _csv(client.get("/manage/matrix/export.csv").get_data())
    header = rows[0]
    status = header.index(f"{DSL_TRAINING_TOPIC} (face-to-face): status")
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Dee Lead"][status] == "Overdue"
    assert by_name["Dee Lead"][header.index(f"{DSL_TRAINING_TOPIC} (face-to-face): last attended")] == \
        add_months(london_today(), -25).isoformat()
    assert by_name["Rob Recruiter"][header.index(f"{SAFER_RECRUITMENT_TOPIC} (face-to-face): status")] == "Compliant"
    assert by_name["Ann Learner"][status] == ""  # not required of her


def test_the_csv_stays_safe_when_a_topic_or_trainer_looks_like_a_formula(cast, make, client, sign_in):
    org, manager = cast.org_a, cast.manager_a
    hostile = HOSTILE[4]  # =HYPERLINK(...)
    requirement_sets.add_requirement(org, "staff", session_requirement(hostile, 12), actor=manager)
    make.external_training(user=cast.learner_a, title=hostile, provider=HOSTILE[5], completed_on=days(-10))
    sign_in(manager)
    rows = _csv(client.get("/manage/matrix/export.csv").get_data())
    assert f"'{hostile} (face-to-face): status" in rows[0]
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    ann = next(row for row in rows if row[0] == "Ann Learner")
    assert f"Training elsewhere: {hostile} ({HOSTILE[5]})" in ann


def test_the_dashboard_counts_the_sessions_and_lists_the_overdue(cast, alder, client, sign_in):
    dashboard = reports.compliance_dashboard(cast.org_a)
    counts = {c.topic: dict(c.counts) for c in dashboard.sessions}
    assert counts == {DSL_TRAINING_TOPIC: {ComplianceStatus.OVERDUE: 1, ComplianceStatus.NOT_STARTED: 1},
                      SAFER_RECRUITMENT_TOPIC: {ComplianceStatus.COMPLIANT: 1}}
    assert [(p.name, p.course_title) for p in dashboard.session_overdue] == [
        ("Dee Lead", f"Face-to-face: {DSL_TRAINING_TOPIC}")]
    assert dashboard.attention.overdue == 1  # Dee, behind on no course
    sign_in(cast.manager_a)
    page = client.get("/manage/").get_data(as_text=True)
    assert "Face-to-face sessions" in page
    assert f"{DSL_TRAINING_TOPIC}: 0% compliant (0 of 2 who need it)" in page


def test_a_person_overdue_on_a_course_and_a_session_is_counted_once(cast, alder, make, course):
    dee, _, _ = alder
    make.assignment(user=dee, course=course, due_in_days=-3)
    assert reports.attention_counts(cast.org_a).overdue == 1


def test_the_scheduled_reminder_asks_the_overdue_dsl_to_book_a_session(cast, alder, outbox):
    dee, rob, _ = alder
    send_reminders()
    sent = {message["To"]: message.get_content() for message in outbox}
    assert dee.email in sent and rob.email not in sent
    assert (f"{DSL_TRAINING_TOPIC} (face-to-face session): was due on" in sent[dee.email]
            and "book a place on the next session" in sent[dee.email])
    before = db.session.query(OutboxEmail).count()
    send_reminders()  # the same day again: nothing more
    assert db.session.query(OutboxEmail).count() == before


def test_a_managers_reminder_lists_the_overdue_session(cast, alder):
    dee, _, nia = alder
    chase = plan_chase(cast.org_a, [dee.id, nia.id], actor=cast.manager_a, urgent_only=True)
    assert [d.user_id for d in chase.drafts] == [dee.id]  # Nia is not overdue yet
    assert chase.drafts[0].lines[0].startswith(f"{DSL_TRAINING_TOPIC} (face-to-face session): was due on")
    assert send_chase(cast.org_a, [dee.id], actor=cast.manager_a).sent == 1


def test_remind_everyone_overdue_finds_the_dsl(cast, alder, client, sign_in):
    sign_in(cast.manager_a)
    page = client.get("/manage/reminders/new?scope=filter").get_data(as_text=True)
    assert "Dee Lead" in page and "face-to-face session" in page


def test_the_matrix_with_session_cells_runs_the_same_queries_for_few_and_many(cast, alder, make, client, sign_in,
                                                                           count_queries):
    """Query budgets of the pages that read session cells, with session requirements in force: the same at 3 and
    at 40 people with duties and evidence, and within the lead's page budget."""
    sign_in(cast.manager_a)

    def grow(count: int) -> None:
        for n in range(count):
            person = make.user(name=f"Staff {User.__name__}{n}-{count}", org=cast.org_a)
            service.add_duty(cast.org_a, person, "dsl" if n % 2 else "safer_recruiter", days(-400),
                             actor=cast.manager_a)
            make.external_training(user=person, title=SAFER_RECRUITMENT_TOPIC, completed_on=days(-n - 1))

    def statements() -> dict[str, int]:
        counts = {}
        for url in ("/manage/", "/manage/matrix", "/manage/matrix/export.csv",
                    "/manage/reminders/new?scope=filter", "/manage/matrix?status=overdue&sort=status",
                    f"/manage/matrix?course=topic:{DSL_KEY}&sort=status", "/manage/matrix/export.csv?status=overdue"):
            db.session.expire_all()
            with count_queries() as counter:
                response = client.get(url)
                response.get_data()
            assert response.status_code == 200, url
            counts[url] = int(counter.count)
        return counts

    grow(3)
    few = statements()
    grow(37)
    many = statements()
    assert few == many
    csv_statements = max(many.pop("/manage/matrix/export.csv"), many.pop("/manage/matrix/export.csv?status=overdue"))
    assert max(many.values()) <= 20, many  # the lead's page budget (tests/compliance/test_query_budgets.py)
    # a download: the request's own, the header's (titles, documents, topics) and a batch's (cells, groups,
    # certificates, times, documents, and four for the session cells)
    assert csv_statements <= 25, csv_statements


# --- the matrix's status filter, its sort by status and its pick of one item read the session cells too -----------


def _names(matrix) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.user.display_name for row in matrix.rows]


def test_filtering_by_status_finds_people_whose_only_item_in_it_is_a_session(cast, alder):
    assert _names(training_matrix(cast.org_a, MatrixQuery(status=ComplianceStatus.OVERDUE))) == ["Dee Lead"]
    assert _names(training_matrix(cast.org_a, MatrixQuery(status=ComplianceStatus.NOT_STARTED))) == ["Nia Deputy"]
    assert _names(training_matrix(cast.org_a, MatrixQuery(status=ComplianceStatus.COMPLIANT))) == ["Rob Recruiter"]


def test_the_csv_of_the_overdue_and_remind_everyone_overdue_find_the_dsl(cast, alder, client, sign_in):
    sign_in(cast.manager_a)
    rows = _csv(client.get("/manage/matrix/export.csv?status=overdue").get_data())
    assert [row[0] for row in rows[1:]] == ["Dee Lead"]
    page = client.get("/manage/reminders/new?scope=filter&status=overdue").get_data(as_text=True)
    assert "Dee Lead" in page


def test_sorting_by_status_ranks_each_person_by_their_most_urgent_course_or_session(cast, alder, make, course):
    """Cat is overdue on a course, Dee on DSL training: both first, by name; then Ann (a course not started) and
    Nia (DSL training not started); then Rob (compliant on safer recruitment); then those with nothing."""
    cat = make.user(name="Cat Course", org=cast.org_a)
    make.assignment(user=cat, course=course, due_in_days=-3)
    make.assignment(user=cast.learner_a, course=course, due_in_days=20)
    names = _names(training_matrix(cast.org_a, MatrixQuery(sort="status")))
    assert names[:5] == ["Cat Course", "Dee Lead", "Ann Learner", "Nia Deputy", "Rob Recruiter"]
    backwards = _names(training_matrix(cast.org_a, MatrixQuery(sort="status", descending=True)))
    assert backwards[-5:] == ["Rob Recruiter", "Ann Learner", "Nia Deputy", "Cat Course", "Dee Lead"]  # ties: by name


def test_a_manager_picks_one_session_topic_as_they_pick_one_course(cast, alder, client, sign_in):
    dsl = MatrixQuery(topic=DSL_KEY)
    assert _names(training_matrix(cast.org_a, dsl)) == ["Dee Lead", "Nia Deputy"]  # the people who need it
    assert _names(training_matrix(cast.org_a, MatrixQuery(topic=DSL_KEY, status=ComplianceStatus.NOT_STARTED))) == [
        "Nia Deputy"]
    assert _names(training_matrix(cast.org_a, MatrixQuery(topic=SAFER_KEY, status=ComplianceStatus.OVERDUE))) == []
    sign_in(cast.manager_a)
    page = client.get(f"/manage/matrix?course=topic:{DSL_KEY}&sort=status&direction=desc").get_data(as_text=True)
    assert f'<option selected value="topic:{DSL_KEY}">Face-to-face: {DSL_TRAINING_TOPIC}</option>' in page
    assert page.index("Nia Deputy") < page.index("Dee Lead")  # not started, then overdue
    assert "Rob Recruiter" not in page and f"{SAFER_RECRUITMENT_TOPIC}<span" not in page  # one topic's column
    rows = _csv(client.get(f"/manage/matrix/export.csv?course=topic:{DSL_KEY}&status=overdue").get_data())
    assert [row[0] for row in rows[1:]] == ["Dee Lead"]
    assert client.get("/manage/matrix?course=topic:no+such+topic").status_code == 200  # unknown: any course


def test_the_dashboards_overdue_count_is_the_matrixs_overdue_filter(cast, alder, make, course):
    make.assignment(user=cast.learner_a, course=course, due_in_days=-3)
    overdue = training_matrix(cast.org_a, MatrixQuery(status=ComplianceStatus.OVERDUE))
    assert _names(overdue) == ["Ann Learner", "Dee Lead"]
    assert reports.compliance_dashboard(cast.org_a).attention.overdue == overdue.total == 2


# --- "nothing required for this role" -------------------------------------------------------------------------


@pytest.fixture
def trust_school(make):  # type: ignore[no-untyped-def]
    trust = make.org(name="Oak Trust", kind=OrganisationKind.TRUST)
    school = make.org(name="Elm School", trust=trust)
    return trust, school, make.user(role=Role.MANAGER, org=trust), make.user(role=Role.MANAGER, org=school)


def test_a_school_saying_nothing_required_stops_the_trusts_set_applying(trust_school):
    trust, school, trust_lead, head = trust_school
    requirement_sets.add_requirement(trust, "dsl", session_requirement("Trust DSL briefing", 12), actor=trust_lead)
    assert [r.session_topic for r in effective_requirements(school)["dsl"]] == [DSL_TRAINING_TOPIC,
                                                                                  "Trust DSL briefing"]
    requirement_sets.require_nothing(school, "dsl", actor=head)
    assert effective_requirements(school)["dsl"] == []
    assert session_grid(school).columns == []
    line = next(line for line in requirement_sets.requirements_by_role(school) if line.role == "dsl")
    assert (line.source, line.requirements, line.own_rows) == (requirement_sets.Source.NOTHING, [], [])
    assert "requirements.nothing_required" in db.session.scalars(select(AuditEvent.action)).all()
    requirement_sets.follow_inherited(school, "dsl", actor=head)  # reversible
    assert [r.session_topic for r in effective_requirements(school)["dsl"]] == [DSL_TRAINING_TOPIC,
                                                                                  "Trust DSL briefing"]


def test_a_trust_saying_nothing_required_stops_the_kcsie_defaults(trust_school, course):
    trust, school, trust_lead, _ = trust_school
    assert effective_requirements(school)["governor"] != []  # the defaults, as a suggestion
    requirement_sets.require_nothing(trust, "governor", actor=trust_lead)
    assert effective_requirements(school)["governor"] == []
    line = next(line for line in requirement_sets.requirements_by_role(school) if line.role == "governor")
    assert (line.source, line.requirements) == (requirement_sets.Source.TRUST, [])


def test_adding_a_requirement_after_nothing_required_starts_an_empty_set(trust_school):
    trust, school, trust_lead, head = trust_school
    requirement_sets.add_requirement(trust, "dsl", session_requirement("Trust DSL briefing", 12), actor=trust_lead)
    requirement_sets.require_nothing(school, "dsl", actor=head)
    requirement_sets.require_nothing(school, "dsl", actor=head)  # twice: still one marker
    requirement_sets.add_requirement(school, "dsl", session_requirement("Local DSL forum", 12), actor=head)
    assert [r.session_topic for r in effective_requirements(school)["dsl"]] == ["Local DSL forum"]
    assert db.session.scalars(select(TrainingRequirement.item).where(
        TrainingRequirement.organisation_id == school.id)).all() == ["session"]


def test_the_page_offers_nothing_required_and_says_so(make, cast, client, sign_in):
    sign_in(cast.manager_a)
    page = client.get("/manage/requirements").get_data(as_text=True)
    assert "Nothing required for this role" in page
    response = client.post("/manage/requirements/nothing", data={"role-role": "governor"})
    assert response.status_code == 302
    page = client.get("/manage/requirements").get_data(as_text=True)
    assert "Nothing required: set by this school" in page and "Follow the defaults again" in page
    assert effective_requirements(cast.org_a)["governor"] == []
    assert client.post("/manage/requirements/nothing", data={"role-role": "nobody"}).status_code == 400


def test_another_schools_manager_cannot_say_nothing_required_here(cast):
    with pytest.raises(NotFound):
        requirement_sets.require_nothing(cast.org_a, "dsl", actor=cast.manager_b)
    assert db.session.scalars(select(TrainingRequirement)).all() == []


def test_a_newcomers_induction_counts_from_when_they_took_on_the_role(cast, alder):
    _, _, nia = alder
    cell = session_grid(cast.org_a, [nia.id]).cells[nia.id][DSL_KEY]
    assert cell.due_on == days(-10) + timedelta(days=28)


def test_the_inspection_record_prints_the_session_lines(cast, alder):
    dee, _, _ = alder
    record = exports.person_record_document(cast.org_a, dee)
    lines = {line.course: line for row in record.rows for line in row.lines}
    line = lines[f"Face-to-face: {DSL_TRAINING_TOPIC}"]
    attended = add_months(london_today(), -25)
    assert (line.status, line.completed, line.valid_until) == (
        "Overdue", f"{attended:%d/%m/%Y}", f"{add_months(attended, 24):%d/%m/%Y}")


def test_nothing_is_not_an_item_one_can_add(cast):
    with pytest.raises(InvalidInput) as raised:
        requirement_sets.add_requirement(cast.org_a, "dsl", RequirementInput("nothing", None, "", "kcsie", 12,
                                                                             "rolling", 28), actor=cast.manager_a)
    assert raised.value.field == "item"
    assert db.session.scalars(select(TrainingRequirement)).all() == []


# --- the reminder log records each topic ------------------------------------------------------------------------


def _sessions_logged(person) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return sorted(tuple(row) for row in db.session.execute(select(ReminderLog.kind, ReminderLog.topic, ReminderLog.week)
                                                            .where(ReminderLog.user_id == person.id,
                                                                   ReminderLog.kind.like("session_%"))))


def test_two_topics_overdue_on_the_same_day_give_both_lines_and_both_are_logged(cast, alder, outbox):
    dee, _, _ = alder
    service.add_duty(cast.org_a, dee, "safer_recruiter", add_months(london_today(), -48), actor=cast.manager_a)
    send_reminders()
    [message] = [m for m in outbox if m["To"] == dee.email]
    body = message.get_content()
    assert f"{DSL_TRAINING_TOPIC} (face-to-face session): was due on" in body
    assert f"{SAFER_RECRUITMENT_TOPIC} (face-to-face session): was due on" in body
    week = iso_week(london_today())
    assert _sessions_logged(dee) == [("session_weekly_overdue", DSL_KEY, week),
                                     ("session_weekly_overdue", SAFER_KEY, week)]


def test_a_second_topic_falling_overdue_later_in_the_week_is_chased_that_day(cast, alder, outbox):
    """Dee has been overdue on DSL training for a month; she takes on safer recruitment with its 28 induction days
    ending on Wednesday. Monday's reminder lists both (DSL training overdue, safer recruitment due within the week);
    Thursday's the overdue safer recruitment, that day and not a week later: the week's DSL row is not its row."""
    dee, _, _ = alder
    monday = london_today() - timedelta(days=london_today().weekday())
    service.add_duty(cast.org_a, dee, "safer_recruiter", monday + timedelta(days=2 - 28), actor=cast.manager_a)
    send_reminders(today=monday)
    send_reminders(today=monday + timedelta(days=3))
    bodies = [m.get_content() for m in outbox if m["To"] == dee.email]
    assert len(bodies) == 2, bodies
    assert f"{DSL_TRAINING_TOPIC} (face-to-face session): was due on" in bodies[0]
    assert f"{SAFER_RECRUITMENT_TOPIC} (face-to-face session): book a place" in bodies[0]
    assert f"{SAFER_RECRUITMENT_TOPIC} (face-to-face session): was due on" in bodies[1]
    assert DSL_TRAINING_TOPIC not in bodies[1]  # already chased this week
