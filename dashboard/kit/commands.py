"""Commands: the one way a page writes. A `Command` declares the service, the words and the question.

    DISCHARGE = Command("discharge", admissions.discharge, done="{name} discharged.",
                        question="Discharge {name} now? {bed}")

    if st.button("Discharge…"):
        commands.ask(ctx, DISCHARGE, row.admission_id, affects=row.hospital_id, name=row.patient_name, bed=...)
    commands.confirming(ctx, DISCHARGE)        # draws the question; Confirm runs it, Cancel forgets it

    commands.run(ctx, ADMIT, patient_id, bed_id, affects=hospital_id, name=patient_name)   # no question

`run` goes through data.write in a transaction that first checks the session is still live
(`in_a_live_session`), refuses in a sentence on a ServiceError, and on success shows the done words as
a toast and above the refreshed page, and empties the page's forms (`form_key` changes). Keyword
arguments that the service does not take are the words' fields only (`name`, `bed` above): a
command's `words` lists them, so they never reach the service.

The lower-level `ask`/`confirmed`/`perform` below are what `Command` is built on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.domains.people import sessions
from dashboard.kit import say
from dashboard.platform.errors import ServiceError
from dashboard.shell import data, gate


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
    except sessions.SessionNoLongerValid as exc:
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
    a click; the check (one read by the session's key, people/sessions.require_live_session) refuses it
    in the same transaction as the write it would have made.
    """

    @functools.wraps(command)
    def checked(db, actor, *args, **kwargs):
        sessions.require_live_session(db, actor, policy=gate.policy())
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


@dataclass(frozen=True)
class Command:
    name: str  # its slot on the page: the pending question and the done words are kept under it
    service: Callable[..., Any]  # (db, actor, *args, **kwargs)
    done: str  # the words after it succeeds, formatted with the call's words
    question: str | None = None  # asked first, with Confirm and Cancel, when the command is destructive
    words: tuple[str, ...] = ("name",)  # keywords for the words only, never passed to the service
    toast: str | None = None  # shorter words for the corner box, when `done` is long


def _split(command: Command, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    words = {k: v for k, v in kwargs.items() if k in command.words}
    return words, {k: v for k, v in kwargs.items() if k not in command.words}


def form_key(ctx, part: str) -> str:
    """A widget key under the page that changes after each command, so a form starts empty again."""
    return f"{ctx.key}_{part}_{nonce(ctx.key)}"


def run(ctx, command: Command, *args, affects: str | None = None, after: Callable[[], None] | None = None,
        **kwargs) -> bool:  # fmt: skip
    """Run `command` now (no question): done words and a fresh page, or a refusal in a sentence."""
    words, service_kwargs = _split(command, kwargs)
    return perform(
        ctx.key,
        command.service,
        ctx.actor,
        *args,
        message=command.done.format(**words),
        toast=command.toast.format(**words) if command.toast else None,
        affects=affects,
        after=after,
        **service_kwargs,
    )


def _slot(ctx, command: Command) -> str:
    return f"{ctx.key}_{command.name}"


def ask_first(ctx, command: Command, *args, affects: str | None = None, **kwargs) -> None:
    """Keep the call and show the command's question on this run and the next, until answered."""
    words, _ = _split(command, kwargs)
    question = (command.question or "Go ahead?").format(**words)
    ask(_slot(ctx, command), question, call=(args, kwargs, affects))


def confirming(ctx, command: Command, *, after: Callable[[], None] | None = None) -> bool:
    """Draw the pending question of `command`, if any; on Confirm run it (True when it ran and succeeded)."""
    pending = confirmed(_slot(ctx, command))
    if pending is None:
        return False
    args, kwargs, affects = pending["call"]
    return run(ctx, command, *args, affects=affects, after=after, **kwargs)
