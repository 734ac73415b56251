"""Kept only for tests/shell_fixtures.py, which reaches sign-in through these three names; delete it once
that file imports sign_in and sessions (the lead's file).

Sign-in is sign_in.py; the throttle throttle.py; sessions sessions.py; passwords passwords.py; the rule of
what a dashboard account is accounts.py; an administrator's account commands staff.py.
"""

from dashboard.domains.people.sessions import hash_token
from dashboard.domains.people.sign_in import LoginOutcome, authenticate

__all__ = ["LoginOutcome", "authenticate", "hash_token"]
