"""My account: who you are signed in as, and changing your own password."""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("my_account")

from dashboard.domains.people import auth_policy, passwords  # noqa: E402
from dashboard.kit import say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import lagos_datetime, md_code, md_escape  # noqa: E402
from dashboard.shell import data, gate  # noqa: E402

DONE_KEY = "account_done_message"


page_header("My account", "Your sign-in details and password.", viewer, shows_figures=False)
if st.session_state.get(DONE_KEY):
    say.success(st.session_state.pop(DONE_KEY))

st.markdown(
    f"**Name:** {md_escape(viewer.user.name)}  \n**Email:** {md_code(viewer.user.email)}  \n"
    f"**Role:** {viewer.role_name}  \n**Scope:** {md_escape(viewer.scope_label)}  \n"
    f"**This sign-in ends by:** {lagos_datetime(viewer.user.expires_at)} (Lagos time), or after "
    f"{auth_policy.describe_minutes(gate.policy().idle_timeout)} without activity."
)

st.subheader("Change your password")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", autocomplete="current-password")
    new = st.text_input(
        "New password", type="password", autocomplete="new-password", help="At least 8 characters, at most 72 bytes."
    )
    repeated = st.text_input("New password again", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("Change password", type="primary")
if submitted:
    try:
        outcome = data.call(passwords.change_own_password, viewer.actor, current, new, repeated, policy=gate.policy())
    except ServiceError as exc:
        say.error(str(exc))
    else:
        if outcome.token is None:  # a wrong current password; it was counted, and may have ended this sign-in
            say.error(outcome.refusal)
            st.stop()
        # Every other sign-in of this account has ended; this browser continues with a new token.
        gate.adopt_new_token(outcome.token, viewer.user.expires_at)
        st.session_state[DONE_KEY] = "Password changed. You stay signed in here; other sign-ins have ended."
        st.rerun()
