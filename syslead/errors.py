"""The course's one kind of expected error: a plain sentence for the person in front of the tool."""


class CourseError(Exception):
    """A mistake the user can fix. The message is one sentence: what is wrong and what to do."""
