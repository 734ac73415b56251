"""Users & roles (network administrators): staff accounts, password resets, deactivation, roles.

Every change is confirmed first, saying what will change, and is one service call: one
transaction with its audit row.
"""

import streamlit as st

from dashboard.shell.gate import require_page_access

viewer = require_page_access("users")

import pandas as pd  # noqa: E402

from dashboard.domains.people import passwords, staff  # noqa: E402
from dashboard.kit import listing, say  # noqa: E402
from dashboard.kit.header import page_header  # noqa: E402
from dashboard.platform.actors import ROLE_NAMES  # noqa: E402
from dashboard.platform.errors import ServiceError  # noqa: E402
from dashboard.platform.formatting import Noun, lagos_datetime, lagos_time  # noqa: E402
from dashboard.shell import data  # noqa: E402
from db.base import UserRole  # noqa: E402

PENDING_KEY = "users_pending_action"
DONE_KEY = "users_done_message"
NEW_PASSWORD_KEY = "users_new_password"  # noqa: S105 (a widget key, not a secret)
ROLE_ORDER = [UserRole.ADMIN, UserRole.HOSPITAL_ADMIN, UserRole.EXECUTIVE, UserRole.COMPLIANCE_OFFICER]


def _status(row) -> str:
    if not row.is_active:
        return "Deactivated"
    if row.locked_until is not None:
        # Failed attempts hold up unfamiliar browsers only; the owner's own browser still signs in.
        return f"New browsers held up until {lagos_time(row.locked_until)} (a password reset lifts it)"
    return "Active"


def _as_table(rows: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Name": [r.name for r in rows],
            "Email": [r.email for r in rows],
            "Role": [ROLE_NAMES[r.role] for r in rows],
            "Hospital": [r.hospital_name or "All hospitals" for r in rows],
            "Status": [_status(r) for r in rows],
            "Last sign-in (Lagos)": [lagos_datetime(r.last_sign_in) for r in rows],
        }
    )


ACCOUNTS = listing.Listing(
    key="users",
    noun=Noun("account", "accounts"),
    list_service=staff.list_staff,
    export_service=staff.export_staff,
    to_frame=_as_table,
    file_stem="dashboard-accounts",
    search_label="Search by name or email",
    empty="There are no dashboard accounts in this scope yet.",
    empty_filtered="No dashboard accounts match this search in this scope. Clear the search to see them all.",
    column_config={"Email": st.column_config.TextColumn(width="medium")},
)

page_header(
    "Users & roles", "Dashboard accounts: reset passwords, deactivate, change roles.", viewer, shows_figures=False
)
if st.session_state.get(DONE_KEY):
    say.success(st.session_state.pop(DONE_KEY))
page = listing.show(ACCOUNTS, viewer)
if page.total == 0:
    st.stop()

st.subheader("Change an account")
st.caption("The accounts on this page of the list; search above to find another.")
accounts = {r.user_id: r for r in page.rows}
chosen_id = st.selectbox(
    "Account",
    list(accounts),
    format_func=lambda uid: f"{accounts[uid].name} ({accounts[uid].email})",
    key="users_account",
)
account = accounts[chosen_id]
# Only hospitals in the working scope are offered: the service would refuse any other.
hospital_names = dict(data.hospital_choices(viewer.actor))


def _ask(action: str, summary: str, **params) -> None:
    st.session_state[PENDING_KEY] = {"action": action, "user_id": account.user_id, "summary": summary, **params}


def _role_phrase(role: UserRole, hospital_id: str | None) -> str:
    """'an executive for Kano Medical Centre', 'a network administrator for all hospitals'."""
    name = ROLE_NAMES[role].lower()
    where = "all hospitals" if hospital_id is None else hospital_names.get(hospital_id, "the chosen hospital")
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} for {where}"


# Keyed so the open tab survives the rerun after a change (and the message shown above the tabs).
reset_tab, status_tab, role_tab = st.tabs(
    ["Reset password", "Activate or deactivate", "Change role"], key="users_tabs", on_change="rerun"
)
if account.user_id == viewer.user.user_id:
    # The services refuse these for one's own account; say so instead of offering them.
    reset_tab.info("This is your account. Change your own password on My account: it asks for the current one.")
    status_tab.info("You cannot deactivate your own account. Ask another network administrator.")
    role_tab.info("You cannot change your own role. Ask another network administrator.")
    reset_tab = status_tab = role_tab = None
if reset_tab is not None:
    new_password = reset_tab.text_input(
        "New password", type="password", key=NEW_PASSWORD_KEY, help="At least 8 characters, at most 72 bytes."
    )
    if reset_tab.button("Reset password…", key="users_reset"):
        try:
            passwords.validate_new_password(new_password)
        except ServiceError as exc:
            say.error(str(exc), where=reset_tab)
        else:
            # The password stays in its widget only, never in the pending action: it goes with the page.
            _ask("reset", f"Set a new password for {account.email} and sign them out everywhere.")
if status_tab is not None:
    if account.is_active:
        if status_tab.button("Deactivate…", key="users_deactivate"):
            _ask("deactivate", f"Deactivate {account.email}: they are signed out at once and cannot sign in.")
    elif status_tab.button("Activate…", key="users_activate"):
        _ask("activate", f"Activate {account.email}: they can sign in again.")
if role_tab is not None:
    # Widget keys carry the account, so picking another account shows that account's own role and hospital.
    role = role_tab.selectbox(
        "Role",
        ROLE_ORDER,
        index=ROLE_ORDER.index(account.role),
        format_func=ROLE_NAMES.get,
        key=f"users_role_{account.user_id}",
    )
    hospital = None
    if role is UserRole.ADMIN:
        role_tab.caption("Network administrators are always network-wide.")
    else:
        hospital_options = [None, *hospital_names]
        hospital = role_tab.selectbox(
            "Hospital",
            hospital_options,
            index=hospital_options.index(account.hospital_id) if account.hospital_id in hospital_options else 0,
            format_func=lambda hid: "All hospitals (network-wide)" if hid is None else hospital_names.get(hid, hid),
            key=f"users_role_hospital_{account.user_id}",
        )
    if role_tab.button("Change role…", key="users_change_role"):
        problem = staff.role_change_problem(role, hospital)
        if problem:
            say.error(problem, where=role_tab)
        elif (role, hospital) == (account.role, account.hospital_id):
            say.info(f"Nothing to change: {account.email} is already {_role_phrase(role, hospital)}.", where=role_tab)
        else:
            _ask(
                "role",
                f"Make {account.email} {_role_phrase(role, hospital)}. It takes effect on their next click.",
                role=role.value,
                hospital_id=hospital,
            )

pending = st.session_state.get(PENDING_KEY)
if pending and pending["user_id"] in accounts:
    with st.container(border=True):
        say.warning(pending["summary"], icon=":material/warning:")
        confirm, cancel = st.columns(2)
        if confirm.button("Confirm", type="primary", key="users_confirm", width="stretch"):
            st.session_state.pop(PENDING_KEY)
            try:
                if pending["action"] == "reset":
                    password = st.session_state.get(NEW_PASSWORD_KEY) or ""
                    data.call(staff.reset_password, viewer.actor, pending["user_id"], password)
                    message = "Password reset. Tell the user their new password in person or by phone."
                elif pending["action"] in ("activate", "deactivate"):
                    data.call(staff.set_active, viewer.actor, pending["user_id"], pending["action"] == "activate")
                    message = "Account " + ("activated." if pending["action"] == "activate" else "deactivated.")
                else:
                    role_value = UserRole(pending["role"])
                    data.call(staff.change_role, viewer.actor, pending["user_id"], role_value, pending["hospital_id"])
                    message = "Role changed."
            except ServiceError as exc:
                say.error(str(exc))
            else:
                say.toast(message)
                st.session_state[DONE_KEY] = message
                st.session_state.pop(NEW_PASSWORD_KEY, None)
                st.rerun()
        if cancel.button("Cancel", key="users_cancel", width="stretch"):
            st.session_state.pop(PENDING_KEY)
            st.rerun()
