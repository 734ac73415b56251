"""Failures a user can cause and fix: each carries one plain sentence, shown without a traceback."""


class CommandError(RuntimeError):
    """A user-facing failure: the CLI prints it as one line and exits with code 2."""
