"""Failures a user can cause. Each message is one plain sentence the page can show as it is."""


class ServiceError(Exception):
    """Base of user-facing failures; str(exc) is the sentence to show."""


class NotPermitted(ServiceError):
    """The actor's role may not do this."""


class OutOfScope(ServiceError):
    """The row belongs to a hospital outside the actor's scope."""


class NotFound(ServiceError):
    """No such row."""


class InvalidInput(ServiceError):
    """The input cannot be accepted; the message says what to change."""
