"""Read courses/<slug>/ folders into frozen dataclasses, collecting file:line faults. No database."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from elearn.assessment.kinds import QuestionKind, parse_kind, partial_credit_names, spec_for
from elearn.content.markdown import check_markdown, render_markdown
from elearn.content.yaml_lines import LineDict, LineList, load_yaml_with_lines

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_NAME_RE = re.compile(r"^\d{2}-[a-z0-9-]+\.md$")
REVIEW_POLICIES = ("full", "hide-correct-on-fail", "outcomes-on-fail")
COURSE_KEYS_REQUIRED = (
    "title", "summary", "topic", "audience", "cpd_hours", "questions_per_attempt",
    "content_warning", "outcomes", "references",
)  # fmt: skip
COURSE_KEYS_OPTIONAL = (
    "pass_mark", "validity_months", "max_attempts_per_day", "review", "precheck_questions",
    "aligned_to", "review_by", "what_changed",
)  # fmt: skip
OUTCOME_KEYS = ("id", "text", "draw", "critical", "critical_mark")
WHAT_CHANGED_KEYS = ("title", "text")
LESSON_KEYS = ("title", "minutes", "min_minutes", "outcomes")
QUESTION_KEYS = ("id", "outcome", "type", "applied", "stem", "options", "explanation", "partial_credit")
BANK_DRAW_MULTIPLE = 3  # every outcome's pool holds this many times its draw, so a retake can draw unseen items
OPTION_KEYS = ("text", "correct", "feedback")
MAX_OUTCOMES = 8


@dataclass(frozen=True)
class Fault:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class ParsedOutcome:
    key: str
    text: str
    draw: int | None = None  # items per attempt; None when the course declares no blueprint
    critical: bool = False  # a pass needs this outcome's drawn items right (to critical_mark percent)
    critical_mark: int = 100

    def as_blueprint(self) -> dict[str, Any]:
        """The outcome as CourseVersion.outcomes stores it."""
        entry: dict[str, Any] = {"id": self.key, "text": self.text}
        if self.draw is not None:
            entry["draw"] = self.draw
        if self.critical:
            entry |= {"critical": True, "critical_mark": self.critical_mark}
        return entry


@dataclass(frozen=True)
class WhatChanged:
    """The short update offered to holders of an earlier version's certificate."""

    title: str
    markdown: str
    html: str


@dataclass(frozen=True)
class ParsedLesson:
    position: int
    slug: str
    title: str
    minutes: int
    body_markdown: str
    body_html: str
    word_count: int
    min_minutes: int = 0  # the server accepts "Mark complete" only this long after the lesson was opened
    outcomes: tuple[str, ...] = ()  # the learning outcomes it teaches: a failed attempt links back to it


@dataclass(frozen=True)
class ParsedOption:
    text: str
    is_correct: bool
    feedback: str


@dataclass(frozen=True)
class ParsedQuestion:
    key: str
    outcome: str | None
    kind: QuestionKind
    stem: str
    options: tuple[ParsedOption, ...]
    explanation: str
    partial_credit: bool
    applied: bool = False  # a case asking for a decision, not recall of a fact
    line: int = 1  # where the question starts in questions.yaml, for the item-writing checks' faults


@dataclass(frozen=True)
class ParsedCourse:
    slug: str
    title: str
    summary: str
    topic: str
    audience: str
    cpd_hours: Decimal
    pass_mark: int
    questions_per_attempt: int
    validity_months: int
    max_attempts_per_day: int | None
    review: str
    content_warning: str
    outcomes: tuple[ParsedOutcome, ...]
    references: tuple[str, ...]
    lessons: tuple[ParsedLesson, ...]
    questions: tuple[ParsedQuestion, ...]
    content_hash: str
    precheck_questions: int = 0  # the unscored knowledge check before the course; 0: none
    aligned_to: tuple[str, ...] = ()  # the guidance editions the course follows
    review_by: date | None = None
    what_changed: WhatChanged | None = None

    @property
    def has_blueprint(self) -> bool:
        return any(outcome.draw is not None for outcome in self.outcomes)

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass
class _Collector:
    """Gathers faults for one file."""

    path: str
    faults: list[Fault] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        self.faults.append(Fault(self.path, line, message))


def load_all(root: Path) -> tuple[list[ParsedCourse], list[Fault]]:
    """Load every course folder under root; faults from all of them, in path order."""
    courses: list[ParsedCourse] = []
    faults: list[Fault] = []
    if not root.is_dir():
        return [], [Fault(str(root), 1, "courses folder not found")]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        course, course_faults = load_course(folder)
        faults += course_faults
        if course is not None:
            courses.append(course)
    return courses, faults


def load_course(folder: Path) -> tuple[ParsedCourse | None, list[Fault]]:
    """Load one course folder; the course is None when any fault was found."""
    faults: list[Fault] = []
    if not SLUG_RE.match(folder.name):
        faults.append(Fault(str(folder), 1, "folder name must be a slug: lower-case letters, digits and hyphens"))
    meta, meta_faults = _read_course_yaml(folder / "course.yaml")
    faults += meta_faults
    # Without a readable outcomes list, outcome references cannot be judged: do not report noise.
    outcome_keys = {o.key for o in meta["outcomes"]} if meta and meta["outcomes"] else None
    lessons, lesson_faults = _read_lessons(folder / "lessons")
    faults += lesson_faults
    questions, question_faults = _read_questions(folder / "questions.yaml", outcome_keys)
    faults += question_faults
    if meta and meta["questions_per_attempt"] and questions is not None and len(questions) < meta["questions_per_attempt"]:
        faults.append(
            Fault(
                str(folder / "questions.yaml"),
                1,
                f"the bank has {len(questions)} questions but each attempt draws {meta['questions_per_attempt']}",
            )
        )
    precheck = (meta["precheck_questions"] or 0) if meta else 0
    if meta and precheck and meta["questions_per_attempt"] and questions is not None \
            and len(questions) < precheck + meta["questions_per_attempt"]:
        # The first assessment draws none of the knowledge check's questions: the bank must hold both.
        faults.append(Fault(str(folder / "questions.yaml"), 1,
                            f"the bank has {len(questions)} questions but the knowledge check ({precheck}) and "
                            f"an attempt ({meta['questions_per_attempt']}) need {precheck + meta['questions_per_attempt']}"))
    if outcome_keys is not None:
        faults += [Fault(str(folder / "lessons" / f"{lesson.slug}.md"), 2, f"outcome '{key}' is not one of the course's outcomes")
                   for lesson in lessons for key in lesson.outcomes if key not in outcome_keys]
    if meta and questions is not None:
        faults += _check_pools(meta["outcomes"], questions, folder / "questions.yaml")
    if faults or meta is None or questions is None:
        return None, faults
    return ParsedCourse(
        slug=folder.name,
        lessons=tuple(lessons),
        questions=tuple(questions),
        content_hash=content_hash(folder),
        **meta,
    ), []


def _check_pools(outcomes: tuple[ParsedOutcome, ...], questions: list[ParsedQuestion], path: Path) -> list[Fault]:
    """Under a blueprint, each outcome's pool is big enough for retakes to draw items not seen before."""
    faults = []
    for outcome in outcomes:
        if outcome.draw is None:
            continue
        held = sum(question.outcome == outcome.key for question in questions)
        needed = BANK_DRAW_MULTIPLE * outcome.draw
        if held < needed:
            faults.append(Fault(str(path), 1, f"outcome {outcome.key} has {held} questions; it draws {outcome.draw} "
                                              f"per attempt, so it needs at least {needed} for fresh retakes"))
    return faults


def content_hash(folder: Path) -> str:
    """A hash of every file in the course folder: names and bytes, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _parse_file(path: Path, collector: _Collector) -> Any:
    try:
        return load_yaml_with_lines(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        collector.add(1, "file is missing")
    except UnicodeDecodeError:
        collector.add(1, "file is not UTF-8 text")
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        collector.add(line, f"YAML syntax error: {error.problem}")
    return None


def _text(data: LineDict, key: str, c: _Collector, *, required: bool = True, limit: int = 5000) -> str:
    value = data.get(key)
    if value is None:
        if required:
            c.add(data.line, f"'{key}' is required")
        return ""
    if not isinstance(value, str) or not value.strip():
        c.add(data.line_of(key), f"'{key}' must be non-empty text")
        return ""
    if len(value) > limit:
        c.add(data.line_of(key), f"'{key}' is longer than {limit} characters")
    return value.strip()


def _int(data: LineDict, key: str, c: _Collector, default: int | None, low: int, high: int) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        c.add(data.line_of(key), f"'{key}' must be a whole number from {low} to {high}")
        return default
    return value


def _unknown_keys(data: LineDict, allowed: tuple[str, ...], c: _Collector) -> None:
    for key in data:
        if key not in allowed:
            c.add(data.line_of(key), f"unknown key '{key}'")


def _read_course_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Fault]]:
    c = _Collector(str(path))
    data = _parse_file(path, c)
    if data is None:
        return None, c.faults
    if not isinstance(data, LineDict):
        c.add(1, "course.yaml must be a mapping of keys to values")
        return None, c.faults
    _unknown_keys(data, COURSE_KEYS_REQUIRED + COURSE_KEYS_OPTIONAL, c)
    review = data.get("review", "full")
    if review not in REVIEW_POLICIES:
        c.add(data.line_of("review"), f"'review' must be one of: {', '.join(REVIEW_POLICIES)}")
    meta = {
        "title": _text(data, "title", c, limit=200),
        "summary": _text(data, "summary", c),
        "topic": _text(data, "topic", c, limit=80),
        "audience": _text(data, "audience", c),
        "content_warning": _text(data, "content_warning", c),
        "cpd_hours": _cpd_hours(data, c),
        "pass_mark": _int(data, "pass_mark", c, 80, 1, 100),
        "questions_per_attempt": _int(data, "questions_per_attempt", c, None, 1, 100),
        "validity_months": _int(data, "validity_months", c, 12, 1, 60),
        "max_attempts_per_day": _int(data, "max_attempts_per_day", c, None, 1, 100),
        "precheck_questions": _int(data, "precheck_questions", c, 0, 0, 50),
        "review": review,
        "outcomes": _outcomes(data, c),
        "references": _references(data, c),
        "aligned_to": _aligned_to(data, c),
        "review_by": _review_by(data, c),
        "what_changed": _what_changed(data, c),
    }
    if "questions_per_attempt" not in data:
        c.add(data.line, "'questions_per_attempt' is required")
    _check_blueprint(meta["outcomes"], meta["questions_per_attempt"], data, c)
    return meta, c.faults


def _check_blueprint(outcomes: tuple[ParsedOutcome, ...], per_attempt: int | None, data: LineDict,
                     c: _Collector) -> None:
    """Declared draws add up to the attempt; a critical outcome is tested at least twice in every attempt."""
    if not any(o.draw is not None for o in outcomes):
        if any(o.critical for o in outcomes):
            c.add(data.line_of("outcomes"), "a critical outcome needs a 'draw' on every outcome (the blueprint)")
        return
    total = sum(o.draw or 1 for o in outcomes)
    if per_attempt is not None and total != per_attempt:
        c.add(data.line_of("questions_per_attempt"),
              f"'questions_per_attempt' is {per_attempt} but the outcomes' draws add up to {total}")


def _cpd_hours(data: LineDict, c: _Collector) -> Decimal:
    value = data.get("cpd_hours")
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        hours = Decimal(-1)
    if value is None or isinstance(value, bool) or not Decimal("0.5") <= hours <= 100 or hours % Decimal("0.5"):
        c.add(data.line_of("cpd_hours"), "'cpd_hours' must be a number of hours in halves, e.g. 1 or 1.5")
    return hours


def _outcomes(data: LineDict, c: _Collector) -> tuple[ParsedOutcome, ...]:
    items = data.get("outcomes")
    if not isinstance(items, LineList) or not 1 <= len(items) <= MAX_OUTCOMES:
        c.add(data.line_of("outcomes"), f"'outcomes' must be a list of 1 to {MAX_OUTCOMES} learning outcomes")
        return ()
    outcomes, seen = [], set()
    declared = any(isinstance(item, LineDict) and "draw" in item for item in items)
    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, LineDict) or not isinstance(item.get("id"), str) or not isinstance(item.get("text"), str):
            c.add(line, "each outcome needs an 'id' and a 'text'")
            continue
        if item["id"] in seen:
            c.add(line, f"duplicate outcome id '{item['id']}'")
        seen.add(item["id"])
        _unknown_keys(item, OUTCOME_KEYS, c)
        outcomes.append(_outcome(item, declared, c))
    return tuple(outcomes)


def _outcome(item: LineDict, declared: bool, c: _Collector) -> ParsedOutcome:
    # Once one outcome declares a draw the course has a blueprint, and an outcome without one draws one item.
    draw = _int(item, "draw", c, 1 if declared else None, 1, 20)
    critical = item.get("critical", False)
    if not isinstance(critical, bool):
        c.add(item.line_of("critical"), "'critical' must be true or false")
        critical = False
    critical_mark = _int(item, "critical_mark", c, 100, 1, 100) or 100
    if "critical_mark" in item and not critical:
        c.add(item.line_of("critical_mark"), "'critical_mark' applies only to a critical outcome")
    if critical and draw is not None and draw < 2:
        c.add(item.line_of("critical"), "a critical outcome must draw at least 2 items in every attempt")
    return ParsedOutcome(item["id"], item["text"].strip(), draw, critical, critical_mark)


def _aligned_to(data: LineDict, c: _Collector) -> tuple[str, ...]:
    items = data.get("aligned_to", [])
    if not isinstance(items, list) or len(items) > 10 or not all(isinstance(i, str) and i.strip() for i in items):
        c.add(data.line_of("aligned_to"), "'aligned_to' must be a list of up to 10 guidance editions, as texts")
        return ()
    return tuple(i.strip() for i in items)


def _review_by(data: LineDict, c: _Collector) -> date | None:
    value = data.get("review_by")
    if value is None:
        return None
    if not isinstance(value, date):
        c.add(data.line_of("review_by"), "'review_by' must be a date written YYYY-MM-DD")
        return None
    return value


def _what_changed(data: LineDict, c: _Collector) -> WhatChanged | None:
    item = data.get("what_changed")
    if item is None:
        return None
    if not isinstance(item, LineDict):
        c.add(data.line_of("what_changed"), "'what_changed' needs a 'title' and a 'text' (Markdown)")
        return None
    _unknown_keys(item, WHAT_CHANGED_KEYS, c)
    title = _text(item, "title", c, limit=200)
    text = _text(item, "text", c, limit=8000)
    for fault in check_markdown(text):
        c.add(item.line_of("text"), f"what_changed text: {fault.message}")
    return WhatChanged(title, text, render_markdown(text)) if title and text else None


def _references(data: LineDict, c: _Collector) -> tuple[str, ...]:
    items = data.get("references")
    if not isinstance(items, LineList) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        c.add(data.line_of("references"), "'references' must be a non-empty list of texts")
        return ()
    return tuple(i.strip() for i in items)


def _read_lessons(folder: Path) -> tuple[list[ParsedLesson], list[Fault]]:
    if not folder.is_dir():
        return [], [Fault(str(folder), 1, "lessons folder is missing")]
    files = sorted(p for p in folder.iterdir() if p.suffix == ".md")
    if not files:
        return [], [Fault(str(folder), 1, "a course needs at least one lesson")]
    lessons, faults = [], []
    for position, path in enumerate(files, start=1):
        lesson, lesson_faults = _read_lesson(path, position)
        faults += lesson_faults
        if lesson:
            lessons.append(lesson)
    return lessons, faults


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Return (front matter, body, line where the body starts) or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None


def _read_lesson(path: Path, position: int) -> tuple[ParsedLesson | None, list[Fault]]:
    c = _Collector(str(path))
    if not LESSON_NAME_RE.match(path.name):
        c.add(1, "lesson file names look like 01-introduction.md")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        c.add(1, "file is not UTF-8 text")
        return None, c.faults
    parts = _split_front_matter(text)
    if parts is None:
        c.add(1, "lesson must start with front matter between --- lines (title, minutes)")
        return None, c.faults
    front_text, body, body_line = parts
    try:
        front = load_yaml_with_lines(front_text)
    except yaml.MarkedYAMLError as error:
        c.add((error.problem_mark.line + 2) if error.problem_mark else 1, f"YAML syntax error: {error.problem}")
        return None, c.faults
    if not isinstance(front, LineDict):
        c.add(1, "front matter must hold 'title' and 'minutes'")
        return None, c.faults
    front.line, front.key_lines = 2, {k: v + 1 for k, v in front.key_lines.items()}
    _unknown_keys(front, LESSON_KEYS, c)
    title = _text(front, "title", c, limit=200)
    minutes = _int(front, "minutes", c, None, 1, 120)
    if "minutes" not in front:
        c.add(1, "'minutes' is required")
    min_minutes = _int(front, "min_minutes", c, 0, 0, 120) or 0
    if minutes is not None and min_minutes > minutes:
        c.add(front.line_of("min_minutes"), "'min_minutes' cannot be more than the lesson's 'minutes'")
    if not body.strip():
        c.add(body_line, "the lesson has no text")
    for fault in check_markdown(body):
        c.add(body_line + fault.line - 1, fault.message)
    outcomes = front.get("outcomes", [])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        c.add(front.line_of("outcomes"), "'outcomes' must be a list of outcome ids, e.g. [LO1, LO2]")
        outcomes = []
    if c.faults or minutes is None:
        return None, c.faults
    words = len(re.findall(r"[A-Za-z0-9][\w'’-]*", body))
    return ParsedLesson(position, path.stem, title, minutes, body, render_markdown(body), words, min_minutes,
                        tuple(outcomes)), []


def _read_questions(path: Path, outcome_keys: set[str] | None) -> tuple[list[ParsedQuestion] | None, list[Fault]]:
    c = _Collector(str(path))
    data = _parse_file(path, c)
    if data is None:
        return None, c.faults
    items = data.get("questions") if isinstance(data, LineDict) else None
    if not isinstance(items, LineList) or not items:
        c.add(1, "questions.yaml must hold a non-empty 'questions' list")
        return None, c.faults
    questions, seen = [], set()
    for index, item in enumerate(items):
        if not isinstance(item, LineDict):
            c.add(items.line_of(index), "each question must be a mapping")
            continue
        question = _read_question(item, outcome_keys, c)
        if question and question.key in seen:
            c.add(item.line_of("id"), f"duplicate question id '{question.key}'")
        if question:
            seen.add(question.key)
            questions.append(question)
    return (None if c.faults else questions), c.faults


def _read_question(item: LineDict, outcome_keys: set[str] | None, c: _Collector) -> ParsedQuestion | None:
    before = len(c.faults)
    _unknown_keys(item, QUESTION_KEYS, c)
    key = _text(item, "id", c, limit=80)
    if key and not SLUG_RE.match(key):
        c.add(item.line_of("id"), "question id must use lower-case letters, digits and hyphens")
    kind = parse_kind(item.get("type"))
    if kind is None:
        c.add(item.line_of("type"), f"'type' must be one of: {', '.join(QuestionKind)}")
    outcome = item.get("outcome")
    if outcome is not None and outcome_keys is not None and outcome not in outcome_keys:
        c.add(item.line_of("outcome"), f"outcome '{outcome}' is not one of the course's outcomes")
    partial = item.get("partial_credit", False)
    if not isinstance(partial, bool) or (partial and (kind is None or not spec_for(kind).allows_partial_credit)):
        c.add(item.line_of("partial_credit"),
              f"'partial_credit' is true or false, and only for {partial_credit_names()} questions")
    applied = item.get("applied", False)
    if not isinstance(applied, bool):
        c.add(item.line_of("applied"), "'applied' must be true or false")
    stem = _text(item, "stem", c)
    explanation = _text(item, "explanation", c)
    options = _read_options(item, kind, c)
    if len(c.faults) > before or kind is None:  # an unknown kind is a fault already; this narrows the type
        return None
    return ParsedQuestion(key, outcome, kind, stem, options, explanation, bool(partial), applied is True,
                          item.line_of("id"))


def _read_options(item: LineDict, kind: QuestionKind | None, c: _Collector) -> tuple[ParsedOption, ...]:
    raw = item.get("options")
    if not isinstance(raw, LineList):
        c.add(item.line_of("options"), "'options' must be a list")
        return ()
    options = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, LineDict):
            c.add(raw.line_of(index), "each option needs 'text', 'correct' and 'feedback'")
            continue
        _unknown_keys(entry, OPTION_KEYS, c)
        if not isinstance(entry.get("correct"), bool):
            c.add(entry.line_of("correct"), "'correct' must be true or false")
        options.append(ParsedOption(_text(entry, "text", c), entry.get("correct") is True, _text(entry, "feedback", c)))
    _check_option_rules(kind, options, item.line_of("options"), c)
    return tuple(options)


def _check_option_rules(kind: QuestionKind | None, options: list[ParsedOption], line: int, c: _Collector) -> None:
    """Every question needs a correct option and distinct texts; its kind's spec sets the rest.

    An unknown kind was reported already, so only the rules every kind shares are checked then.
    """
    correct = sum(o.is_correct for o in options)
    if correct == 0:
        c.add(line, "at least one option must be correct")
    if kind is not None:
        spec = spec_for(kind)
        # Zero correct was reported above for every kind; the kind's sentence covers the other counts it refuses.
        if not spec.accepts_options([o.text for o in options]) or (correct and not spec.correct.allows(correct)):
            c.add(line, spec.rule)
    if len({o.text for o in options}) != len(options):
        c.add(line, "two options have the same text")
