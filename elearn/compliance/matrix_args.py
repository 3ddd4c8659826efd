"""Read the training matrix's filters from a query string: shared by the matrix page and its exports."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from elearn.catalog.service import course_titles
from elearn.compliance.compliance import LABELS, SEVERITY, ComplianceStatus
from elearn.compliance.forms import MatrixFilterForm
from elearn.compliance.matrix import SORTS, TOPIC_PREFIX, MatrixQuery
from elearn.compliance.session_grid import SessionColumn
from elearn.models import MemberKind, Organisation
from elearn.people import service as people
from elearn.wording import MEMBER_KIND_LABELS


def read_matrix_filters(org: Organisation, args: MultiDict[str, str]) -> tuple[MatrixFilterForm, MatrixQuery]:
    """The filter form (with its choices) and the query it describes; unknown values fall back to "any". The one
    item picked is a course or a face-to-face session's topic ("topic:" and its key; the page offers the topics
    once the matrix has read them: offer_topics)."""
    form = MatrixFilterForm(args)
    form.group.choices = [SelectChoice("", "All groups"),
                          *(SelectChoice(group.id, group.name) for group in people.list_groups(org))]
    form.kind.choices = [SelectChoice("", "Everyone"),
                         *(SelectChoice(kind.value, MEMBER_KIND_LABELS[kind.value]) for kind in MemberKind)]
    form.course.choices = [SelectChoice("", "All courses and sessions"),
                           *(SelectChoice(cid, title) for cid, title in course_titles().items())]
    item = form.course.data
    form.status.choices = [SelectChoice("", "Any status"), *(SelectChoice(s.value, LABELS[s]) for s in SEVERITY)]
    query = MatrixQuery(
        q=(form.q.data or "").strip()[:120], group_id=form.group.data,
        course_id=item if isinstance(item, int) else None,
        topic=item.removeprefix(TOPIC_PREFIX) if isinstance(item, str) else None,
        kind=form.kind.data if form.kind.data in set(MemberKind) else None,
        status=ComplianceStatus(form.status.data) if form.status.data in set(ComplianceStatus) else None,
        sort=form.sort.data if form.sort.data in SORTS else "name",
        descending=form.direction.data == "desc", page=args.get("page", 1, type=int))
    return form, query


def offer_topics(form: MatrixFilterForm, topics: list[SessionColumn]) -> None:
    """Offer the face-to-face sessions the setting's requirements name beside the courses (the matrix's topics)."""
    form.course.choices = [*form.course.choices,  # type: ignore[misc]
                           *(SelectChoice(TOPIC_PREFIX + column.key, f"Face-to-face: {column.topic}") for column in topics)]
