"""A confirm step for destructive or irreversible actions: say what will change, then Confirm or Cancel.

`ask` remembers the pending action under the page's key; `confirmed` draws the warning with its two
buttons and returns the action's details once, when Confirm is pressed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import data, gate
from dashboard.components import say
from dashboard.services import auth
from dashboard.services.errors import ServiceError


def ask(key: str, summary: str, **details: Any) -> None:
    st.session_state[f"{key}__pending"] = {"summary": summary, **details}


def confirmed(key: str) -> dict[str, Any] | None:
    pending = st.session_state.get(f"{key}__pending")
    if not pending:
        return None
    with st.container(border=True):
        say.warning(pending["summary"], icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button("Confirm", type="primary", key=f"{key}__confirm", width="stretch"):
            return st.session_state.pop(f"{key}__pending")
        if no.button("Cancel", key=f"{key}__cancel", width="stretch"):
            st.session_state.pop(f"{key}__pending")
            st.rerun()
    return None


def nonce(key: str) -> int:
    """A number in a form's widget keys: it changes after each write, so the form starts empty again."""
    return int(st.session_state.get(f"{key}__nonce", 0))


def perform(
    key: str,
    command,
    actor,
    *args,
    message: str,
    affects: str | None = None,
    toast: str | None = None,
    after: Callable[[], None] | None = None,
    **kwargs,
) -> bool:
    """One command through data.write: refused in a sentence, or done (toast, forms cleared, page re-read).

    The command runs only while the session that asked is valid (`in_a_live_session`); when it has
    ended, nothing is written and the app is run again, which shows the sign-in form and why.
    `toast` is a shorter text for the corner box when the message is long (it cuts long ones off);
    `after` runs on success, before the page is re-read (to move a view to what was just written).
    """
    try:
        data.write(in_a_live_session(command), actor, *args, affects=affects, **kwargs)
    except auth.SessionNoLongerValid as exc:
        say.error(str(exc))
        gate.command_refused_for_the_session()
        return False
    except ServiceError as exc:
        say.error(str(exc))
        return False
    st.session_state[f"{key}__nonce"] = nonce(key) + 1
    if after is not None:
        after()
    done(message, key, toast=toast)
    return True


def in_a_live_session(command: Callable) -> Callable:
    """`command`, checking first, in its own transaction, that the actor's session is still valid.

    A page drawn before a sign-out in another tab, a deactivation or the idle limit can still send
    a click; the check (one read by the session's key, services/auth.require_live_session) refuses it
    in the same transaction as the write it would have made.
    """

    @functools.wraps(command)
    def checked(db, actor, *args, **kwargs):
        auth.require_live_session(db, actor, policy=gate.policy())
        return command(db, actor, *args, **kwargs)

    return checked


def done(message: str, key: str, *, toast: str | None = None) -> None:
    """After a write: a toast now, and the same words (or the full ones) above the refreshed page."""
    say.toast(toast or message, icon=":material/check_circle:")
    st.session_state[f"{key}__done"] = message
    st.rerun()


def show_done(key: str) -> None:
    message = st.session_state.pop(f"{key}__done", None)
    if message:
        say.success(message, icon=":material/check_circle:")
