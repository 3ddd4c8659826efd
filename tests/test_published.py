"""Published course content kept per process (elearn/published.py): never stale, never another person's."""

from __future__ import annotations

from elearn.published import VersionCache


def test_a_version_is_built_once_and_then_served_from_the_cache():
    cache, built = VersionCache(), []
    for _ in range(3):
        assert cache.get(7, "hash-a", lambda: built.append(1) or "lessons of 7") == "lessons of 7"
    assert len(built) == 1


def test_the_same_id_with_other_content_is_another_entry():
    # A version id reused by another database (a test, a restore) with other files is never served the old content.
    cache = VersionCache()
    cache.get(7, "hash-a", lambda: "old")
    assert cache.get(7, "hash-b", lambda: "new") == "new"
    assert cache.get(7, "hash-a", lambda: "rebuilt") == "old"


def test_the_cache_keeps_the_most_recently_used_versions_only():
    cache = VersionCache(keep=2)
    cache.get(1, "h", lambda: "one")
    cache.get(2, "h", lambda: "two")
    cache.get(1, "h", lambda: "one again")  # used: stays
    cache.get(3, "h", lambda: "three")  # 2 goes
    assert cache.get(1, "h", lambda: "rebuilt") == "one"
    assert cache.get(2, "h", lambda: "rebuilt") == "rebuilt"


def test_two_learners_on_one_version_each_see_their_own_progress(client, make, sign_in):
    course = make.course()
    ahead, behind = make.user(), make.user()
    make.enrolment(user=ahead, course=course, lessons_done=2)
    make.enrolment(user=behind, course=course, lessons_done=0)
    sign_in(ahead)
    assert client.get("/courses/sample-course/lessons/3").get_data(as_text=True).count("(done)") == 2
    sign_in(behind)
    page = client.get("/courses/sample-course/lessons/1").get_data(as_text=True)
    assert "(done)" not in page and page.count("(to do)") == 2


def test_a_new_version_of_a_course_is_served_its_own_lessons(client, make, sign_in):
    folder = make.course_folder()
    course = make.course(folder=folder)
    first = make.user()
    make.enrolment(user=first, course=course)
    sign_in(first)
    client.get("/courses/sample-course/lessons/2")  # version 1's lessons are cached
    lesson = folder / "lessons" / "02-categories.md"
    lesson.write_text(lesson.read_text() + "\nA paragraph only version 2 has.\n")
    make.course(folder=folder)
    second = make.user()
    make.enrolment(user=second, course=course)
    assert "only version 2 has" not in client.get("/courses/sample-course/lessons/2").get_data(as_text=True)
    sign_in(second)
    assert "only version 2 has" in client.get("/courses/sample-course/lessons/2").get_data(as_text=True)
