"""The root of Comptoir's exceptions: a user mistake, reported without a traceback."""


class ComptoirError(Exception):
    """A problem the user can fix; its message says what and how."""
