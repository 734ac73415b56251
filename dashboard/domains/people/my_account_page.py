"""My account: who you are signed in as, and changing your own password."""

from __future__ import annotations

import streamlit as st

from dashboard.domains.people import auth_policy, passwords
from dashboard.kit import say
from dashboard.kit.page import PageContext
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import lagos_datetime, md_code, md_escape
from dashboard.shell import data, gate

DONE_KEY = "account_done_message"


def render(ctx: PageContext) -> None:
    ctx.header("Your sign-in details and password.", shows_figures=False)
    if st.session_state.get(DONE_KEY):
        say.success(st.session_state.pop(DONE_KEY))
    user = ctx.viewer.user
    st.markdown(
        f"**Name:** {md_escape(user.name)}  \n**Email:** {md_code(user.email)}  \n"
        f"**Role:** {ctx.viewer.role_name}  \n**Scope:** {md_escape(ctx.viewer.scope_label)}  \n"
        f"**This sign-in ends by:** {lagos_datetime(user.expires_at)} (Lagos time), or after "
        f"{auth_policy.describe_minutes(gate.policy().idle_timeout)} without activity."
    )
    st.subheader("Change your password")
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input("Current password", type="password", autocomplete="current-password")
        new = st.text_input("New password", type="password", autocomplete="new-password",
                            help="At least 8 characters, at most 72 bytes.")  # fmt: skip
        repeated = st.text_input("New password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Change password", type="primary")
    if not submitted:
        return
    # Not a kit Command: a wrong current password is counted and audited, so the refusal must commit too.
    try:
        outcome = data.call(passwords.change_own_password, ctx.actor, current, new, repeated, policy=gate.policy())
    except ServiceError as exc:
        say.error(str(exc))
        return
    if outcome.token is None:  # a wrong current password; it was counted, and may have ended this sign-in
        say.error(outcome.refusal)
        return
    # Every other sign-in of this account has ended; this browser continues with a new token.
    gate.adopt_new_token(outcome.token, user.expires_at)
    st.session_state[DONE_KEY] = "Password changed. You stay signed in here; other sign-ins have ended."
    st.rerun()
