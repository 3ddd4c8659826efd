"""Exports that scale: CSVs stream; the PDF, ZIPs and large CSVs are jobs whose files only their manager can
download, for a limited time; managers are limited in how many they start."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from elearn.clock import london_today, uk_date
from elearn.compliance import exports
from elearn.compliance.matrix import MatrixQuery
from elearn.db import now_utc
from elearn.extensions import db
from elearn.jobs import exports as export_jobs
from elearn.jobs.queue import SCHEDULE
from elearn.models import AuditEvent, ExportChunk, ExportFile, Role
from tests.makers import days


def _start(client, url="/manage/matrix/export.csv", data=None):  # type: ignore[no-untyped-def]
    response = client.post(url, data=data or {})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _download_link(page: str) -> str:
    match = re.search(r'href="([^"]+/download)"', page)
    assert match is not None, page
    return match.group(1)


# --- streaming ---------------------------------------------------------------------------------


def test_a_csv_download_is_a_stream_whose_first_piece_comes_before_the_last_row_is_read(
        app, cast, course, make, monkeypatch):
    for n in range(5):
        make.assignment(user=make.user(name=f"Streamed {n}", org=cast.org_a), course=course)
    monkeypatch.setattr(exports, "STREAM_BATCH", 2)
    batches_read = []
    real = exports.certificate_facts
    monkeypatch.setattr(exports, "certificate_facts", lambda ids: batches_read.append(ids) or real(ids))
    with app.test_request_context():
        download = exports.export_matrix_csv(cast.org_a, MatrixQuery(), actor=cast.manager_a)
        assert not isinstance(download.body, bytes)  # a generator, not a file built in memory
        pieces = iter(download.body)
        first = next(pieces)
        assert first.startswith(b"\xef\xbb\xbfName,Email,Groups") and batches_read == []  # nobody read yet
        rest = b"".join(pieces)
    assert len(batches_read) == 4  # 8 people (the cast's three in A, these five) in batches of two
    rows = list(csv.reader(io.StringIO((first + rest).decode("utf-8-sig"))))
    assert len(rows) == 1 + 8


def test_csv_pieces_are_bounded_and_formula_safe():
    from elearn.downloads import csv_stream

    rows = [["=cmd"], *([["x" * 100]] * 2000)]
    pieces = list(csv_stream(rows, flush_at=4096))
    assert len(pieces) > 40 and max(len(piece) for piece in pieces) < 4096 + 200
    assert b"".join(pieces).decode("utf-8-sig").startswith("'=cmd\r\n")


def test_a_csv_beyond_the_threshold_is_offered_as_a_job(client, cast, sign_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_CSV_JOB_ROWS", 2)
    sign_in(cast.manager_a)
    page = client.get("/manage/matrix/export.csv")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Prepare the file" in page.get_data(as_text=True)
    status = client.get(_start(client)).get_data(as_text=True)
    body = client.get(_download_link(status)).get_data()
    assert body.decode("utf-8-sig").count("\r\n") == 1 + 3  # the header and A's three people


# --- the job, its page and its download ----------------------------------------------------------------


def test_the_manager_follows_the_job_and_downloads_the_file(client, cast, course, make, sign_in):
    make.certificate(user=cast.learner_a, course=course, expires_on=days(200))
    sign_in(cast.manager_a)
    status_url = _start(client, "/manage/training-record.pdf")
    page = client.get(status_url).get_data(as_text=True)
    assert "Your file is ready" in page and "Only you can download it" in page
    assert 'http-equiv="refresh"' not in page  # finished: nothing left to refresh
    response = client.get(_download_link(page))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"] and "attachment" in response.headers["Content-Disposition"]
    assert response.get_data().startswith(b"%PDF")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.pdf")).one()
    assert event.actor_id == cast.manager_a.id and event.organisation_id == cast.org_a.id


def test_a_running_export_shows_its_progress_and_refreshes_without_javascript(client, cast, sign_in):
    export = ExportFile(organisation_id=cast.org_a.id, requested_by_id=cast.manager_a.id, kind="pdf", status="running",
                        done=30, total=120, filename="x.pdf", expires_at=now_utc() + timedelta(hours=1))
    db.session.add(export)
    db.session.commit()
    sign_in(cast.manager_a)
    page = client.get(f"/manage/exports/{export.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in page and "25% done (30 of 120)" in page
    still = client.get(f"/manage/exports/{export.id}?refresh=off").get_data(as_text=True)  # WCAG 2.2.1: turn it off
    assert "http-equiv" not in still and f'href="/manage/exports/{export.id}?refresh=off">Refresh now' in still
    assert client.get(f"/manage/exports/{export.id}/download").status_code == 404  # not ready yet


@pytest.mark.parametrize("who", ["manager_b", "same_organisation", "admin"])
def test_nobody_but_the_manager_who_asked_can_see_or_download_it(who, client, cast, make, sign_in):
    sign_in(cast.manager_a)
    status_url = _start(client)
    download_url = _download_link(client.get(status_url).get_data(as_text=True))
    other = {"manager_b": cast.manager_b, "admin": cast.admin,
             "same_organisation": make.user(name="Mia Manager", org=cast.org_a, role=Role.MANAGER)}[who]
    make.two_factor_done(other)
    sign_in(other)
    suffix = f"?org={cast.org_a.id}" if who == "admin" else ""
    assert client.get(status_url + suffix).status_code == 404
    assert client.get(download_url + suffix).status_code == 404


def test_a_manager_who_no_longer_manages_the_organisation_cannot_download(client, cast, sign_in):
    sign_in(cast.manager_a)
    download_url = _download_link(client.get(_start(client)).get_data(as_text=True))
    cast.manager_a.role = Role.LEARNER
    db.session.commit()
    assert client.get(download_url).status_code in (403, 404)


def test_an_expired_export_is_gone_and_the_schedule_deletes_it(client, cast, sign_in):
    sign_in(cast.manager_a)
    status_url = _start(client)
    export = db.session.scalars(select(ExportFile)).one()
    assert export.status == "ready" and export.expires_at > now_utc() + timedelta(hours=23)
    export.expires_at = now_utc() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(status_url).status_code == 404
    assert client.get(status_url + "/download").status_code == 404
    assert export_jobs.prune_exports() == 1
    assert db.session.scalar(select(func.count()).select_from(ExportFile)) == 0
    assert db.session.scalar(select(func.count()).select_from(ExportChunk)) == 0
    assert SCHEDULE["prune-exports"]["task"] == "elearn.jobs.tasks.prune_exports"


def test_a_job_lost_with_its_worker_is_marked_failed_after_an_hour(cast):
    export = ExportFile(organisation_id=cast.org_a.id, requested_by_id=cast.manager_a.id, kind="csv", status="queued",
                        created_at=now_utc() - timedelta(hours=2), expires_at=now_utc() + timedelta(hours=22))
    db.session.add(export)
    db.session.commit()
    export_jobs.prune_exports()
    db.session.refresh(export)
    assert export.status == "failed" and "took too long" in (export.error or "")


def test_a_large_file_is_stored_in_chunks_and_sent_back_whole(client, cast, make, sign_in, monkeypatch):
    for n in range(40):
        make.user(name=f"Chunked Person {n:02d}", org=cast.org_a)
    monkeypatch.setattr(export_jobs, "CHUNK_SIZE", 512)
    sign_in(cast.manager_a)
    body = client.get(_download_link(client.get(_start(client)).get_data(as_text=True))).get_data()
    export = db.session.scalars(select(ExportFile)).one()
    chunks = db.session.scalar(select(func.count()).select_from(ExportChunk)) or 0
    assert chunks == -(-export.size // 512) and chunks > 3 and len(body) == export.size
    assert body.decode("utf-8-sig").count("Chunked Person") == 40


def test_a_job_run_again_after_its_worker_died_starts_afresh(cast, make):
    export = export_jobs.start_export(cast.org_a, "csv", actor=cast.manager_a)
    size = export.size
    db.session.execute(ExportFile.__table__.update().values(status="running"))  # as if a worker died mid-way
    db.session.commit()
    assert export_jobs.run_export(export.id) == "ready"
    db.session.refresh(export)
    assert export.size == size and db.session.scalar(select(func.count()).select_from(ExportChunk)) == 1
    assert export_jobs.run_export(export.id) == "skipped"  # a duplicate delivery does nothing


def test_a_job_fails_visibly_when_its_manager_was_demoted_meanwhile(client, cast):
    export = ExportFile(organisation_id=cast.org_a.id, requested_by_id=cast.manager_a.id, kind="csv",
                        expires_at=now_utc() + timedelta(hours=24))
    db.session.add(export)
    cast.manager_a.role = Role.LEARNER
    db.session.commit()
    assert export_jobs.run_export(export.id) == "refused"
    db.session.refresh(export)
    assert export.status == "failed" and db.session.scalar(select(func.count()).select_from(ExportChunk)) == 0


# --- limits ----------------------------------------------------------------------------------------


def test_a_manager_may_start_only_so_many_exports_an_hour(client, cast, sign_in):
    sign_in(cast.manager_a)
    for _ in range(export_jobs.MAX_PER_HOUR):
        _start(client)
    refused = client.post("/manage/matrix/export.csv")
    assert refused.status_code == 429 and "in the last hour" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ExportFile)) == export_jobs.MAX_PER_HOUR
    sign_in(cast.manager_b)
    assert client.post("/manage/matrix/export.csv").status_code == 302  # the limit is per manager


def test_a_manager_waits_for_unfinished_exports_before_starting_another(client, cast, sign_in):
    for _ in range(export_jobs.MAX_UNFINISHED):
        db.session.add(ExportFile(organisation_id=cast.org_a.id, requested_by_id=cast.manager_a.id, kind="pdf",
                                  status="running", expires_at=now_utc() + timedelta(hours=24)))
    db.session.commit()
    sign_in(cast.manager_a)
    refused = client.post("/manage/training-record.pdf")
    assert refused.status_code == 429 and "being prepared" in refused.get_data(as_text=True)


# --- the one-person record ----------------------------------------------------------------------------


def test_a_one_person_record_for_the_staff_file(client, cast, course, make, sign_in):
    certificate = make.certificate(user=cast.learner_a, course=course, score=85, expires_on=days(300))
    sign_in(cast.manager_a)
    learner_page = client.get(f"/manage/people/{cast.learner_a.id}").get_data(as_text=True)
    assert f"/manage/people/{cast.learner_a.id}/training-record.pdf" in learner_page
    response = client.get(f"/manage/people/{cast.learner_a.id}/training-record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Ann Learner" in text and "Alder Primary" in text and f"Produced {uk_date(london_today())}" in text
    assert "85%" in text and f"{days(300):%d/%m/%Y}" in text and certificate.code[:4] in text
    assert "Abe" not in text  # nobody else
    sign_in(cast.manager_b)
    assert client.get(f"/manage/people/{cast.learner_a.id}/training-record.pdf").status_code == 404
