"""Read and understood: publish, assign like a course, confirm (dated, versioned, audited, once), report; a new
version asks everyone again. Every page is tried from two organisations."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from elearn.clock import london_today
from elearn.errors import Conflict, InvalidInput, NotFound
from elearn.extensions import db
from elearn.models import (
    AuditEvent,
    SignoffAssignment,
    SignoffConfirmation,
    SignoffDocument,
    SignoffKind,
    SignoffVersion,
)
from elearn.signoffs import service
from elearn.signoffs.grid import signoff_grid as grid_of
from elearn.signoffs.service import DocumentInput
from elearn.uploads import UPLOAD_MAX_BYTES, Upload
from tests.makers import days

PDF = b"%PDF-1.4\n% our child protection policy\n"


def _count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _kcsie(cast, label="September 2025"):  # type: ignore[no-untyped-def]
    return service.publish_document(cast.org_a, SignoffKind.KCSIE, "", DocumentInput(label), actor=cast.manager_a)


def _policy(cast, org=None, actor=None):  # type: ignore[no-untyped-def]
    return service.publish_document(org or cast.org_a, SignoffKind.POLICY, "Child protection policy",
                                    DocumentInput("v1", pdf=Upload(PDF, "application/pdf", "cp policy.pdf")),
                                    actor=actor or cast.manager_a)


def _mine(user):  # type: ignore[no-untyped-def]
    return [(s.document.title, s.version.label, s.confirmed_at is not None) for s in service.list_my_signoffs(user)]


# --- the service -----------------------------------------------------------------------------------


def test_kcsie_is_the_gov_uk_link_to_the_edition_in_force(cast):
    document = _kcsie(cast)
    version = service.current_version(document)
    assert (document.title, version.url, version.label) == (service.KCSIE_TITLE, service.KCSIE_URL, "September 2025")


def test_a_policy_needs_a_pdf_or_a_link_and_not_both(cast):
    with pytest.raises(InvalidInput) as neither:
        service.publish_document(cast.org_a, SignoffKind.POLICY, "Policy", DocumentInput("v1"), actor=cast.manager_a)
    with pytest.raises(InvalidInput) as both:
        service.publish_document(cast.org_a, SignoffKind.POLICY, "Policy", DocumentInput(
            "v1", url="https://school.example/policy", pdf=Upload(PDF, "application/pdf", "p.pdf")), actor=cast.manager_a)
    with pytest.raises(InvalidInput) as script:
        service.publish_document(cast.org_a, SignoffKind.POLICY, "Policy", DocumentInput("v1", url="javascript:alert(1)"),
                                 actor=cast.manager_a)
    assert (neither.value.field, both.value.field, script.value.field) == ("url", "url", "url")
    assert _count(SignoffDocument) == 0


def test_assigning_like_a_course_everyone_a_group_or_people(cast, make):
    document = _kcsie(cast)
    group = make.group(org=cast.org_a, members=[cast.learner_a])
    first = service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a, audience="group",
                                    group_id=group.id)
    again = service.assign_document(cast.org_a, document.id, days(30), actor=cast.manager_a, audience="people",
                                    user_ids=[cast.learner_a.id, cast.second_learner_a.id])
    everyone = service.assign_document(cast.org_a, document.id, days(30), actor=cast.manager_a)
    assert (first.created, again.created, again.already, everyone.created, everyone.already) == (1, 1, 1, 1, 2)
    assert _mine(cast.learner_a) == [(service.KCSIE_TITLE, "September 2025", False)]
    assert _mine(cast.learner_b) == []
    assert db.session.scalar(select(SignoffAssignment.due_on).where(
        SignoffAssignment.user_id == cast.learner_a.id)) == days(14)  # kept its first due date


@pytest.mark.parametrize(("audience", "field"), [("group", "group_id"), ("people", "user_ids")])
def test_a_group_or_people_must_be_chosen(cast, audience, field):
    document = _kcsie(cast)
    with pytest.raises(InvalidInput) as refused:
        service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a, audience=audience)
    assert refused.value.field == field
    assert _count(SignoffAssignment) == 0


def test_another_organisations_people_or_groups_cannot_be_asked(cast, make):
    document = _kcsie(cast)
    group_b = make.group(org=cast.org_b, members=[cast.learner_b])
    with pytest.raises(NotFound):
        service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a, audience="group",
                                group_id=group_b.id)
    with pytest.raises(NotFound):
        service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a, audience="people",
                                user_ids=[cast.learner_b.id])
    assert _count(SignoffAssignment) == 0


def test_confirming_is_dated_versioned_audited_and_happens_once(cast):
    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
    version = service.current_version(document)
    first = service.confirm_read(document.id, version.id, actor=cast.learner_a)
    second = service.confirm_read(document.id, version.id, actor=cast.learner_a)
    assert first.id == second.id and first.confirmed_at is not None
    assert _count(SignoffConfirmation) == 1
    assert _count(AuditEvent, AuditEvent.action == "signoff.confirmed") == 1


def test_a_new_version_asks_everyone_again_and_keeps_the_earlier_confirmation(cast):
    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
    old = service.current_version(document)
    service.confirm_read(document.id, old.id, actor=cast.learner_a)
    new = service.publish_version(cast.org_a, document.id, DocumentInput("September 2026"), actor=cast.manager_a)
    assert _mine(cast.learner_a) == [(service.KCSIE_TITLE, "September 2026", False)]
    with pytest.raises(Conflict):  # a page left open on the old version
        service.confirm_read(document.id, old.id, actor=cast.learner_a)
    report = service.document_report(cast.org_a, document.id)
    ann = next(r for r in report.rows if r.user_id == cast.learner_a.id)
    assert (ann.confirmed_at, ann.earlier_label) == (None, "September 2025")
    service.confirm_read(document.id, new.id, actor=cast.learner_a)
    assert _mine(cast.learner_a) == [(service.KCSIE_TITLE, "September 2026", True)]
    assert _count(SignoffConfirmation) == 2


def test_a_new_version_needs_a_new_label(cast):
    document = _kcsie(cast)
    with pytest.raises(InvalidInput):
        service.publish_version(cast.org_a, document.id, DocumentInput("september 2025"), actor=cast.manager_a)
    assert _count(SignoffVersion) == 1


def test_only_people_asked_can_confirm(cast):
    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a, audience="people",
                            user_ids=[cast.learner_a.id])
    version = service.current_version(document)
    for outsider in (cast.second_learner_a, cast.learner_b):
        with pytest.raises(NotFound):
            service.confirm_read(document.id, version.id, actor=outsider)
    assert _count(SignoffConfirmation) == 0


def test_the_report_lists_who_has_not_first(cast):
    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
    service.confirm_read(document.id, service.current_version(document).id, actor=cast.learner_a)
    report = service.document_report(cast.org_a, document.id)
    assert [r.confirmed_at is not None for r in report.rows] == [False, False, True]
    assert report.confirmed == 1
    line = service.list_documents(cast.org_a)[0]
    assert (line.assigned, line.confirmed) == (3, 1)


# --- pages: the flow end to end --------------------------------------------------------------------


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_policy_sign_off_from_publish_to_report(client, cast, make, sign_in):
    sign_in(cast.manager_a)
    published = client.post("/manage/signoffs/new", data={
        "kind": "policy", "title": "Child protection policy", "label": "2026-27",
        "pdf": (io.BytesIO(PDF), "cp.pdf")})
    assert published.status_code == 302
    document = db.session.scalars(select(SignoffDocument)).one()
    assert client.post(f"/manage/signoffs/{document.id}/assign", data={
        "audience": "everyone", "due_on": days(14).isoformat()}).status_code == 302

    sign_in(cast.learner_a)
    page = client.get("/my-learning").get_data(as_text=True)
    assert "Child protection policy" in page and "I have read and understood it" in page
    version = service.current_version(document)
    pdf = client.get(f"/signoffs/{document.id}/versions/{version.id}.pdf")
    assert pdf.status_code == 200 and pdf.data == PDF
    assert client.post(f"/signoffs/{document.id}/confirm", data={"version_id": version.id}).status_code == 302
    assert client.post(f"/signoffs/{document.id}/confirm", data={"version_id": version.id}).status_code == 302
    assert _count(SignoffConfirmation) == 1

    sign_in(cast.manager_a)
    report = client.get(f"/manage/signoffs/{document.id}").get_data(as_text=True)
    assert "1 of 3" in report
    csv = client.get(f"/manage/signoffs/{document.id}/report.csv")
    assert csv.status_code == 200 and csv.headers["Cache-Control"] == "private, no-store"
    text = csv.data.decode("utf-8-sig")
    assert "Ann Learner" in text and "Abe Learner" in text and "2026-27" in text

    assert client.post(f"/manage/signoffs/{document.id}/versions", data={
        "version-label": "2026-27 (amended)", "version-url": "https://alder.example/policy"}).status_code == 302
    sign_in(cast.learner_a)
    assert _mine(cast.learner_a) == [("Child protection policy", "2026-27 (amended)", False)]


def test_confirming_needs_the_forms_token(make_app, cast, make):
    app = make_app(WTF_CSRF_ENABLED=True)
    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
    version = service.current_version(document)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": _csrf(page), "email": cast.learner_a.email, "password": make.PASSWORD})
    assert client.post(f"/signoffs/{document.id}/confirm", data={"version_id": version.id}).status_code == 400
    assert _count(SignoffConfirmation) == 0


@pytest.mark.parametrize(("upload", "message"), [
    ((io.BytesIO(b"\x89PNG\r\n\x1a\n0000"), "policy.pdf"), "The file must be a PDF"),
    ((io.BytesIO(b"Just some text"), "policy.pdf"), "The file must be a PDF"),
    ((io.BytesIO(PDF + b"0" * UPLOAD_MAX_BYTES), "policy.pdf"), "larger than 1.5 MB"),
])
def test_a_policy_upload_of_the_wrong_type_or_too_large_is_refused(client, cast, sign_in, upload, message):
    sign_in(cast.manager_a)
    response = client.post("/manage/signoffs/new", data={"kind": "policy", "title": "Policy", "label": "v1",
                                                          "pdf": upload})
    response.request.environ["wsgi.input"].close()  # the test client spools a large body to a file it never closes
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(SignoffDocument) == 0


# --- two organisations -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/manage/signoffs/{doc}"),
    ("get", "/manage/signoffs/{doc}/report.csv"),
    ("post", "/manage/signoffs/{doc}/assign"),
    ("post", "/manage/signoffs/{doc}/versions"),
])
def test_another_organisations_manager_gets_404_for_a_document(client, cast, sign_in, method, path):
    document = _policy(cast)
    url = path.format(doc=document.id)
    before = (_count(SignoffAssignment), _count(SignoffVersion))
    sign_in(cast.manager_b)
    assert getattr(client, method)(url, data={"audience": "everyone", "due_on": days(9).isoformat(),
                                              "label": "v9", "url": "https://x.example"}).status_code == 404
    sign_in(cast.admin)
    assert getattr(client, method)(url + f"?org={cast.org_b.id}").status_code == 404
    sign_in(cast.learner_a)
    assert getattr(client, method)(url).status_code == 403
    assert (_count(SignoffAssignment), _count(SignoffVersion)) == before


def test_a_documents_pdf_is_for_those_asked_and_its_organisations_managers(client, cast, sign_in):
    document = _policy(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a, audience="people",
                            user_ids=[cast.learner_a.id])
    url = f"/signoffs/{document.id}/versions/{service.current_version(document).id}.pdf"
    for persona, status in (("learner_a", 200), ("manager_a", 200), ("admin", 200), ("second_learner_a", 404),
                            ("learner_b", 404), ("manager_b", 404)):
        sign_in(cast.persona(persona))
        assert client.get(url).status_code == status, persona


def test_another_organisations_learner_cannot_confirm(client, cast, sign_in):
    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
    sign_in(cast.learner_b)
    assert client.post(f"/signoffs/{document.id}/confirm",
                       data={"version_id": service.current_version(document).id}).status_code == 404
    assert _count(SignoffConfirmation) == 0


def test_the_list_shows_only_the_organisations_own_documents(client, cast, sign_in):
    _policy(cast)
    sign_in(cast.manager_b)
    assert "Child protection policy" not in client.get("/manage/signoffs").get_data(as_text=True)


def test_report_and_my_learning_cost_the_same_for_few_or_many(client, cast, make, sign_in, count_queries):
    document = _kcsie(cast)

    def cost(n: int) -> tuple[int, int, int]:
        for i in range(n):
            make.user(org=cast.org_a, name=f"Staff {n}-{i}")
        service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
        sign_in(cast.manager_a)
        with count_queries() as report:
            assert client.get(f"/manage/signoffs/{document.id}").status_code == 200
        with count_queries() as listing:
            assert client.get("/manage/signoffs").status_code == 200
        sign_in(cast.learner_a)
        with count_queries() as mine:
            assert client.get("/my-learning").status_code == 200
        return report.count, listing.count, mine.count
    assert cost(5) == cost(30)


# --- a column per document in the matrix and the export --------------------------------------------


def test_the_matrix_has_a_column_per_document(client, cast, sign_in):
    kcsie, policy = _kcsie(cast), _policy(cast)
    service.assign_document(cast.org_a, kcsie.id, days(14), actor=cast.manager_a)
    service.assign_document(cast.org_a, policy.id, days(0), actor=cast.manager_a,
                            audience="people", user_ids=[cast.learner_a.id])
    service.confirm_read(kcsie.id, service.current_version(kcsie).id, actor=cast.learner_a)
    grid = grid_of(cast.org_a, [cast.learner_a.id, cast.second_learner_a.id])
    assert [c.title for c in grid.columns] == ["Child protection policy", service.KCSIE_TITLE]
    assert grid.cells[cast.learner_a.id][kcsie.id].confirmed_at is not None
    assert grid.cells[cast.learner_a.id][policy.id].confirmed_at is None
    assert policy.id not in grid.cells[cast.second_learner_a.id]  # not asked
    sign_in(cast.manager_a)
    page = client.get("/manage/matrix").get_data(as_text=True)
    assert "read and understood, September 2025" in page and "Not asked" in page and "Not yet" in page


def test_the_everyone_export_has_a_column_per_document_and_is_formula_safe(client, cast, sign_in):
    service.publish_document(cast.org_a, SignoffKind.POLICY, "=HYPERLINK(\"x\")", DocumentInput(
        "v1", url="https://alder.example/p"), actor=cast.manager_a)
    kcsie = _kcsie(cast)
    service.assign_document(cast.org_a, kcsie.id, days(14), actor=cast.manager_a)
    service.confirm_read(kcsie.id, service.current_version(kcsie).id, actor=cast.learner_a)
    sign_in(cast.manager_a)
    response = client.get("/manage/signoffs/everyone.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Name,Email,") and "'=HYPERLINK" in lines[0]
    ann = next(line for line in lines if line.startswith("Ann Learner"))
    assert ann.endswith(london_today().isoformat())
    sign_in(cast.manager_b)
    assert "Ann Learner" not in client.get("/manage/signoffs/everyone.csv").data.decode("utf-8-sig")


def test_a_persons_own_data_export_holds_their_sign_offs_and_sessions(cast, course):
    from decimal import Decimal

    from elearn.privacy.service import export_personal_data
    from elearn.training.sessions import SessionInput, record_session

    document = _kcsie(cast)
    service.assign_document(cast.org_a, document.id, days(14), actor=cast.manager_a)
    service.confirm_read(document.id, service.current_version(document).id, actor=cast.learner_a)
    record_session(cast.org_a, SessionInput("INSET", "Dee Lead", days(-2), Decimal("1.5"), [course.id]),
                   user_ids=[cast.learner_a.id], group_ids=[], register=None, actor=cast.manager_a)
    data = export_personal_data(cast.learner_a, actor=cast.learner_a)
    assert data["read_and_understood"][0]["document"] == service.KCSIE_TITLE
    assert [c["version"] for c in data["read_and_understood"][0]["confirmed"]] == ["September 2025"]
    assert data["face_to_face_sessions"] == [{"topic": "INSET", "trainer": "Dee Lead", "held_on": days(-2).isoformat(),
                                              "hours": "1.5", "counts_until": None}]
