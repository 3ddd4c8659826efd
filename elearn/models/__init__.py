"""Every table; the one import Alembic's env.py needs."""

from elearn.models.accounts import Organisation, PasswordResetToken, Role, User
from elearn.models.assessment import Attempt, AttemptAnswer, AttemptQuestion
from elearn.models.audit import AuditEvent
from elearn.models.certificates import Certificate
from elearn.models.courses import Course, CourseVersion, Lesson, Option, Question, QuestionKind, ReviewPolicy
from elearn.models.learning import Enrolment, LessonProgress

__all__ = [
    "Attempt",
    "AttemptAnswer",
    "AttemptQuestion",
    "AuditEvent",
    "Certificate",
    "Course",
    "CourseVersion",
    "Enrolment",
    "Lesson",
    "LessonProgress",
    "Option",
    "Organisation",
    "PasswordResetToken",
    "Question",
    "QuestionKind",
    "ReviewPolicy",
    "Role",
    "User",
]
