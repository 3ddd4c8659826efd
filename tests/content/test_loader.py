"""Course files: validation with file:line faults, the CLI, and syncing to immutable versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from elearn.content.loader import load_all, load_course
from elearn.extensions import db
from elearn.models import CourseVersion, Lesson, Question

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_fixture_course_loads():
    course, faults = load_course(FIXTURES / "sample-course")
    assert faults == []
    assert course.slug == "sample-course"
    assert [lesson.title for lesson in course.lessons] == ["Welcome", "Categories of abuse", "What to do next"]
    assert course.total_minutes == 15
    assert len(course.questions) == 6
    assert course.questions[4].kind == "true_false"


def edit(folder: Path, relative: str, old: str, new: str) -> None:
    path = folder / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))


BROKEN = [
    # (file, old text, new text, line, message)
    ("course.yaml", "title: Sample safeguarding refresher\n", "", 1, "'title' is required"),
    ("course.yaml", "pass_mark: 80", "pass_mark: 180", 6, "'pass_mark' must be a whole number from 1 to 100"),
    ("course.yaml", "cpd_hours: 0.5", "cpd_hours: lots", 5, "'cpd_hours' must be a number"),
    ("course.yaml", "review: full", "review: sometimes", 9, "'review' must be one of"),
    ("course.yaml", "topic: Safeguarding", "topic: Safeguarding\ncolour: blue", 4, "unknown key 'colour'"),
    ("course.yaml", "questions_per_attempt: 4", "questions_per_attempt: 7", 1, "the bank has 6 questions but each attempt draws 7"),
    ("course.yaml", "title: Sample", "title: [Sample", 1, "YAML syntax error"),
    ("lessons/01-welcome.md", "minutes: 5", "minutes: five", 3, "'minutes' must be a whole number"),
    ("lessons/01-welcome.md", "---\ntitle: Welcome", "title: Welcome", 1, "must start with front matter"),
    ("lessons/02-categories.md", "## The four categories", "#### The four categories", 6, "jumps from h1 to h4"),
    ("lessons/03-next-steps.md", "(https://www.nspcc.org.uk/)", "(javascript:alert(1))", 8, "link target not allowed"),
    ("questions.yaml", "id: q-2", "id: q-1", 20, "duplicate question id 'q-1'"),
    ("questions.yaml", "outcome: LO2", "outcome: LO9", 21, "outcome 'LO9' is not one of the course's outcomes"),
    ("questions.yaml", "type: single", "type: essay", 4, "'type' must be one of"),
    ("questions.yaml", "  explanation: Explanation 1. (Sample guidance 2025)\n", "", 2, "'explanation' is required"),
    ("questions.yaml", "type: single", "type: single\n  applied: often", 5, "'applied' must be true or false"),
    ("course.yaml", "text: Say who to tell about a concern.",
     "text: Say who to tell about a concern.\n    draw: 3", 1, "outcome LO2 has 3 questions; it draws 3"),
    ("course.yaml", "text: Say who to tell about a concern.",
     "text: Say who to tell about a concern.\n    draw: 2", 7, "the outcomes' draws add up to 3"),
    ("course.yaml", "text: Name the four categories of abuse.",
     "text: Name the four categories of abuse.\n    draw: 1\n    critical: true", 15, "at least 2 items"),
    ("course.yaml", "text: Name the four categories of abuse.",
     "text: Name the four categories of abuse.\n    critical: true", 11, "needs a 'draw' on every outcome"),
    ("course.yaml", "text: Name the four categories of abuse.",
     "text: Name the four categories of abuse.\n    weight: 2", 14, "unknown key 'weight'"),
    ("course.yaml", "review: full", "review: full\nreview_by: next summer", 10, "'review_by' must be a date"),
    ("course.yaml", "review: full", "review: full\nwhat_changed: New guidance.", 10, "needs a 'title' and a 'text'"),
    ("course.yaml", "review: full", "review: full\naligned_to: KCSIE", 10, "'aligned_to' must be a list"),
    ("lessons/01-welcome.md", "minutes: 5", "minutes: 5\nmin_minutes: 6", 4, "cannot be more than the lesson's"),
    ("lessons/01-welcome.md", "minutes: 5", "minutes: 5\noutcomes: [LO7]", 2, "outcome 'LO7' is not one of"),
]


@pytest.mark.parametrize(("relative", "old", "new", "line", "message"), BROKEN)
def test_a_malformed_course_file_is_reported_as_path_line_problem(make, relative, old, new, line, message):
    folder = make.course_folder()
    edit(folder, relative, old, new)
    course, faults = load_course(folder)
    assert course is None
    rendered = [str(fault) for fault in faults]
    expected_prefix = f"{folder / relative}:{line}: " if relative != "course.yaml" or line != 1 else f"{folder}"
    assert any(message in text for text in rendered), rendered
    assert any(text.startswith(expected_prefix) and message in text for text in rendered), rendered


def test_the_blueprint_currency_and_minimum_times_are_synced_into_the_version(make):
    folder = make.course_folder()
    edit(folder, "course.yaml", "questions_per_attempt: 4", "questions_per_attempt: 3")
    edit(folder, "course.yaml", "text: Name the four categories of abuse.",
         "text: Name the four categories of abuse.\n    draw: 1")
    edit(folder, "course.yaml", "text: Say who to tell about a concern.",
         "text: Say who to tell about a concern.\n    draw: 2\n    critical: true\n    critical_mark: 50")
    edit(folder, "course.yaml", "review: full", "review: outcomes-on-fail\naligned_to:\n  - KCSIE 2026\n"
         "review_by: 2027-09-01\nwhat_changed:\n  title: New guidance\n  text: Part one **grew**.")
    edit(folder, "lessons/01-welcome.md", "minutes: 5", "minutes: 5\nmin_minutes: 2\noutcomes: [LO2]")
    edit(folder, "questions.yaml", "type: single", "type: single\n  applied: true")
    for extra in range(7, 10):  # LO2 needs three times its draw of two
        edit(folder, "questions.yaml", "questions:\n", f"questions:\n- id: q-{extra}\n  outcome: LO2\n  type: true_false\n"
             "  stem: Extra?\n  options:\n  - {text: 'True', correct: true, feedback: Yes.}\n"
             "  - {text: 'False', correct: false, feedback: No.}\n  explanation: Because.\n")
    version = make.course(folder=folder).versions[-1]
    assert version.outcomes == [
        {"id": "LO1", "text": "Name the four categories of abuse.", "draw": 1},
        {"id": "LO2", "text": "Say who to tell about a concern.", "draw": 2, "critical": True, "critical_mark": 50},
    ]
    assert version.review_policy == "outcomes-on-fail"
    assert version.aligned_to == ["KCSIE 2026"] and str(version.review_by) == "2027-09-01"
    assert version.what_changed_title == "New guidance" and "<strong>grew</strong>" in version.what_changed_html
    assert [lesson.min_minutes for lesson in version.lessons] == [2, 0, 0]
    assert [lesson.outcomes for lesson in version.lessons] == [["LO2"], [], []]
    assert sum(question.applied for question in version.questions) == 1


def test_a_single_choice_question_with_two_correct_options_is_refused(make):
    folder = make.course_folder()
    edit(folder, "questions.yaml", "correct: false\n    feedback: Not quite.", "correct: true\n    feedback: Not quite.")
    _, faults = load_course(folder)
    assert any("exactly one correct" in fault.message for fault in faults)


def test_a_question_with_no_correct_option_is_refused(make):
    folder = make.course_folder()
    edit(folder, "questions.yaml", "correct: true\n    feedback: Well done.", "correct: false\n    feedback: Well done.")
    _, faults = load_course(folder)
    assert any("at least one option must be correct" in fault.message for fault in faults)


def test_check_command_passes_on_good_courses(runner):
    result = runner.invoke(args=["courses", "check", "--dir", str(FIXTURES)])
    assert result.exit_code == 0
    assert "ok  sample-course: 3 lessons, 15 min, 6 questions" in result.output


def test_check_command_prints_each_fault_and_exits_non_zero(runner, make):
    folder = make.course_folder()
    edit(folder, "course.yaml", "pass_mark: 80", "pass_mark: 0")
    edit(folder, "questions.yaml", "type: single", "type: essay")
    result = runner.invoke(args=["courses", "check", "--dir", str(folder.parent)])
    assert result.exit_code == 1
    assert f"{folder}/course.yaml:6: 'pass_mark' must be a whole number from 1 to 100" in result.output
    assert f"{folder}/questions.yaml:4: 'type' must be one of" in result.output


def test_sync_refuses_to_load_anything_when_a_course_is_broken(runner, make):
    good = make.course_folder(slug="good-course")
    broken = make.course_folder(slug="broken-course")
    broken.rename(good.parent / "broken-course")
    edit(good.parent / "broken-course", "course.yaml", "pass_mark: 80", "pass_mark: 0")
    result = runner.invoke(args=["courses", "sync", "--dir", str(good.parent)])
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 0


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CourseVersion))


def test_sync_creates_a_version_only_when_the_content_changes(runner, make):
    folder = make.course_folder()
    first = runner.invoke(args=["courses", "sync", "--dir", str(folder.parent)])
    assert "sample-course: version 1 (new version)" in first.output
    again = runner.invoke(args=["courses", "sync", "--dir", str(folder.parent)])
    assert "sample-course: version 1 (unchanged)" in again.output
    assert version_count() == 1
    edit(folder, "lessons/01-welcome.md", "Every member of staff", "Each member of staff")
    changed = runner.invoke(args=["courses", "sync", "--dir", str(folder.parent)])
    assert "sample-course: version 2 (new version)" in changed.output
    assert version_count() == 2


def test_a_published_version_is_never_altered(make):
    folder = make.course_folder()
    make.course(folder=folder)
    edit(folder, "lessons/01-welcome.md", "Every member of staff", "Each member of staff")
    edit(folder, "questions.yaml", "Question 1?", "Question one?")
    make.course(folder=folder)
    v1_lesson = db.session.scalar(select(Lesson).join(CourseVersion).where(CourseVersion.number == 1, Lesson.position == 1))
    v2_lesson = db.session.scalar(select(Lesson).join(CourseVersion).where(CourseVersion.number == 2, Lesson.position == 1))
    assert "Every member of staff" in v1_lesson.body_html
    assert "Each member of staff" in v2_lesson.body_html
    stems = db.session.scalars(select(Question.stem).where(Question.key == "q-1").order_by(Question.id)).all()
    assert stems == ["Question 1?", "Question one?"]


def test_lesson_html_is_sanitised_at_sync_time(make):
    folder = make.course_folder()
    edit(folder, "lessons/01-welcome.md", "Every member of staff has a part to play.",
         "Every member <script>alert(1)</script> has a part.")
    # The checker refuses raw HTML, so load the lesson straight through the renderer the sync uses.
    _, faults = load_course(folder)
    assert any("raw HTML" in f.message for f in faults)
    from elearn.content.markdown import render_markdown

    assert "<script>" not in render_markdown("Every member <script>alert(1)</script> has a part.")


def test_load_all_reports_a_missing_folder():
    courses, faults = load_all(Path("/nonexistent/courses"))
    assert courses == [] and "courses folder not found" in faults[0].message


def test_the_shipped_courses_pass_the_check():
    courses, faults = load_all(Path(__file__).parents[2] / "courses")
    assert faults == [], "\n".join(str(f) for f in faults)
    assert courses
