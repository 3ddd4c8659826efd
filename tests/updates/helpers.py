"""A course published twice: version 1 plain, version 2 aligned to new guidance with a "what changed" update."""

from __future__ import annotations

from pathlib import Path

from elearn.models import Course
from tests.makers import Makers

UPDATE_TITLE = "Updated for Keeping children safe in education 2026"
UPDATE_TEXT = "Part one **grew**: read the new section on online safety."
EDITION = "Keeping children safe in education 2026 (DfE, in force 1 September 2026)"


def add_currency(folder: Path, *, review_by: str = "2027-08-31", what_changed: bool = True) -> None:
    """Append the currency keys (and the update) to a copied course's course.yaml: the next sync is a new version."""
    path = folder / "course.yaml"
    lines = [f'aligned_to:\n  - "{EDITION}"', f"review_by: {review_by}"]
    if what_changed:
        lines.append(f'what_changed:\n  title: "{UPDATE_TITLE}"\n  text: "{UPDATE_TEXT}"')
    path.write_text(path.read_text().rstrip("\n") + "\n" + "\n".join(lines) + "\n")


class TwoVersions:
    """A course at version 1; `publish_update()` syncs version 2 with the update."""

    def __init__(self, make: Makers) -> None:
        self.make = make
        self.folder = make.course_folder()
        self.course: Course = make.course(folder=self.folder)

    def publish_update(self, **currency: object) -> Course:
        add_currency(self.folder, **currency)  # type: ignore[arg-type]
        course = self.make.course(folder=self.folder)
        assert [v.number for v in course.versions] == [1, 2]
        return course
