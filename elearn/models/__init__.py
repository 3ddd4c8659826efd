"""Every table; the one import Alembic's env.py needs."""

from elearn.models.accounts import (
    MemberKind,
    Organisation,
    OrganisationKind,
    PasswordResetToken,
    Phase,
    RecoveryCode,
    Role,
    SessionKind,
    User,
    UserSession,
)
from elearn.models.assessment import Attempt, AttemptAllowance, AttemptAnswer, AttemptQuestion
from elearn.models.audit import AuditEvent
from elearn.models.certificates import Certificate, CertificateUpdate
from elearn.models.courses import Course, CourseVersion, Lesson, Option, Question, ReviewPolicy
from elearn.models.evidence import ConfidenceRating, CourseEvaluation, OptionTally, QuestionTally, VersionTally
from elearn.models.exports import ExportChunk, ExportFile
from elearn.models.jobs import FailedJob
from elearn.models.learning import Enrolment, LessonProgress
from elearn.models.network import (
    AuditReturn,
    DueMode,
    Duty,
    MemberDuty,
    PartnershipMember,
    Placement,
    RequirementItem,
    TrainingRequirement,
)
from elearn.models.organisations import (
    Assignment,
    AssignmentSource,
    ContactRole,
    ExternalTraining,
    Group,
    GroupMembership,
    Invitation,
    InvitationCourse,
    NewStarterRule,
    OrganisationDomain,
    ReminderLog,
    ReminderSchedule,
    SafeguardingContact,
)
from elearn.models.outbox import OutboxEmail
from elearn.models.partnerships import PartnershipReminder
from elearn.models.returns import RatingThreshold
from elearn.models.signoffs import (
    SignoffAssignment,
    SignoffConfirmation,
    SignoffDocument,
    SignoffKind,
    SignoffVersion,
)
from elearn.models.sso import SsoConnection, SsoIdentity
from elearn.models.training import TrainingSession, TrainingSessionAttendee, TrainingSessionCourse

__all__ = [
    "Assignment",
    "AssignmentSource",
    "Attempt",
    "AttemptAllowance",
    "AttemptAnswer",
    "AttemptQuestion",
    "AuditEvent",
    "AuditReturn",
    "Certificate",
    "CertificateUpdate",
    "ConfidenceRating",
    "ContactRole",
    "Course",
    "CourseEvaluation",
    "CourseVersion",
    "DueMode",
    "Duty",
    "Enrolment",
    "ExportChunk",
    "ExportFile",
    "ExternalTraining",
    "FailedJob",
    "Group",
    "GroupMembership",
    "Invitation",
    "InvitationCourse",
    "Lesson",
    "LessonProgress",
    "MemberDuty",
    "MemberKind",
    "NewStarterRule",
    "Option",
    "OptionTally",
    "Organisation",
    "OrganisationDomain",
    "OrganisationKind",
    "OutboxEmail",
    "PartnershipMember",
    "PartnershipReminder",
    "PasswordResetToken",
    "Phase",
    "Placement",
    "Question",
    "QuestionTally",
    "RatingThreshold",
    "RecoveryCode",
    "ReminderLog",
    "ReminderSchedule",
    "RequirementItem",
    "ReviewPolicy",
    "Role",
    "SafeguardingContact",
    "SessionKind",
    "SignoffAssignment",
    "SignoffConfirmation",
    "SignoffDocument",
    "SignoffKind",
    "SignoffVersion",
    "SsoConnection",
    "SsoIdentity",
    "TrainingRequirement",
    "TrainingSession",
    "TrainingSessionAttendee",
    "TrainingSessionCourse",
    "User",
    "UserSession",
    "VersionTally",
]
