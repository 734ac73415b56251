"""Users & roles: staff accounts, password resets, deactivation, roles (network administrators), and the
ward screens (users_screens_page.py; a hospital administrator sees that part alone, for their hospital).

Every change is confirmed first, saying what will change, and is one service call: one
transaction with its audit row.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.people import passwords, staff, users_screens_page
from dashboard.kit import commands, listing, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table
from dashboard.platform.actors import ROLE_NAMES
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import Noun, lagos_time
from dashboard.platform.permissions import readers
from dashboard.shell import data
from db.base import UserRole

NEW_PASSWORD_KEY = "users_new_password"  # noqa: S105 (a widget key, not a secret)
ROLE_ORDER = [UserRole.ADMIN, UserRole.HOSPITAL_ADMIN, UserRole.EXECUTIVE, UserRole.COMPLIANCE_OFFICER]


def _status(row: staff.StaffRow) -> str:
    if not row.is_active:
        return "Deactivated"
    if row.locked_until is not None:
        # Failed attempts hold up unfamiliar browsers only; the owner's own browser still signs in.
        return f"New browsers held up until {lagos_time(row.locked_until)} (a password reset lifts it)"
    return "Active"


ACCOUNTS = listing.Listing(
    key="users",
    noun=Noun("account", "accounts"),
    list_service=staff.list_staff,
    export_service=staff.export_staff,
    table=Table(
        [
            Column("Name", "name"),
            Column("Email", "email"),
            Column("Role", lambda r: ROLE_NAMES[r.role]),
            Column("Hospital", lambda r: r.hospital_name or "All hospitals"),
            Column("Status", _status),
            Column("Last sign-in (Lagos)", "last_sign_in", "datetime"),
        ]
    ),
    file_stem="dashboard-accounts",
    search_label="Search by name or email",
    empty="There are no dashboard accounts in this scope yet.",
    empty_filtered="No dashboard accounts match this search in this scope. Clear the search to see them all.",
    column_config={"Email": st.column_config.TextColumn(width="medium")},
)


def _reset_to_the_typed_password(db, actor, user_id: str) -> None:
    # The password stays in its widget only, never in the pending question: it is read when confirmed.
    staff.reset_password(db, actor, user_id, st.session_state.get(NEW_PASSWORD_KEY) or "")


RESET = Command(
    "reset", _reset_to_the_typed_password, words=("email",),
    done="Password reset. Tell the user their new password in person or by phone.",
    question="Set a new password for {email} and sign them out everywhere.",
)  # fmt: skip
ACTIVATE = Command("activate", staff.set_active, done="Account activated.", words=("email",),
                   question="Activate {email}: they can sign in again.")  # fmt: skip
DEACTIVATE = Command("deactivate", staff.set_active, done="Account deactivated.", words=("email",),
                     question="Deactivate {email}: they are signed out at once and cannot sign in.")  # fmt: skip
CHANGE_ROLE = Command("role", staff.change_role, done="Role changed.", words=("email", "change"),
                      question="Make {email} {change}. It takes effect on their next click.")  # fmt: skip


def render(ctx: PageContext) -> None:
    if ctx.viewer.user.role not in readers("users"):  # a hospital administrator: their ward screens only
        ctx.header("Your hospital's ward screens: pair a wall screen, or disconnect one.", shows_figures=False)
        ctx.done()
        users_screens_page.render_part(ctx)
        return
    ctx.header("Dashboard accounts: reset passwords, deactivate, change roles; and ward screens.", shows_figures=False)
    ctx.done()
    _accounts(ctx)
    st.divider()
    users_screens_page.render_part(ctx)


def _accounts(ctx: PageContext) -> None:
    page = listing.show(ACCOUNTS, ctx.viewer)
    if page.total == 0:
        return
    st.subheader("Change an account")
    st.caption("The accounts on this page of the list; search above to find another.")
    accounts = {r.user_id: r for r in page.rows}
    account = accounts[
        st.selectbox("Account", list(accounts), key="users_account",
                     format_func=lambda uid: f"{accounts[uid].name} ({accounts[uid].email})")
    ]  # fmt: skip
    # Keyed so the open tab survives the rerun after a change (and the message shown above the tabs).
    reset_tab, status_tab, role_tab = st.tabs(
        ["Reset password", "Activate or deactivate", "Change role"], key="users_tabs", on_change="rerun"
    )
    if account.user_id == ctx.viewer.user.user_id:
        # The services refuse these for one's own account; say so instead of offering them.
        reset_tab.info("This is your account. Change your own password on My account: it asks for the current one.")
        status_tab.info("You cannot deactivate your own account. Ask another network administrator.")
        role_tab.info("You cannot change your own role. Ask another network administrator.")
    else:
        _reset(ctx, reset_tab, account)
        _activation(ctx, status_tab, account)
        _role(ctx, role_tab, account)
    for command in (ACTIVATE, DEACTIVATE, CHANGE_ROLE):
        commands.confirming(ctx, command)
    commands.confirming(ctx, RESET, after=lambda: st.session_state.pop(NEW_PASSWORD_KEY, None))


def _reset(ctx: PageContext, tab, account: staff.StaffRow) -> None:
    new_password = tab.text_input(
        "New password", type="password", key=NEW_PASSWORD_KEY, help="At least 8 characters, at most 72 bytes."
    )
    if tab.button("Reset password…", key="users_reset"):
        try:
            passwords.validate_new_password(new_password)
        except ServiceError as exc:
            say.error(str(exc), where=tab)
        else:
            commands.ask_first(ctx, RESET, account.user_id, affects=account.hospital_id, email=account.email)


def _activation(ctx: PageContext, tab, account: staff.StaffRow) -> None:
    if account.is_active:
        if tab.button("Deactivate…", key="users_deactivate"):
            commands.ask_first(ctx, DEACTIVATE, account.user_id, False, affects=account.hospital_id,
                               email=account.email)  # fmt: skip
    elif tab.button("Activate…", key="users_activate"):
        commands.ask_first(ctx, ACTIVATE, account.user_id, True, affects=account.hospital_id, email=account.email)


def _role(ctx: PageContext, tab, account: staff.StaffRow) -> None:
    # Only hospitals in the working scope are offered: the service would refuse any other.
    hospital_names = dict(data.hospital_choices(ctx.actor))
    # Widget keys carry the account, so picking another account shows that account's own role and hospital.
    role = tab.selectbox("Role", ROLE_ORDER, index=ROLE_ORDER.index(account.role), format_func=ROLE_NAMES.get,
                         key=f"users_role_{account.user_id}")  # fmt: skip
    hospital = None
    if role is UserRole.ADMIN:
        tab.caption("Network administrators are always network-wide.")
    else:
        options = [None, *hospital_names]
        hospital = tab.selectbox(
            "Hospital", options, index=options.index(account.hospital_id) if account.hospital_id in options else 0,
            format_func=lambda hid: "All hospitals (network-wide)" if hid is None else hospital_names.get(hid, hid),
            key=f"users_role_hospital_{account.user_id}",
        )  # fmt: skip
    if not tab.button("Change role…", key="users_change_role"):
        return
    name = ROLE_NAMES[role].lower()
    where = "all hospitals" if hospital is None else hospital_names.get(hospital, "the chosen hospital")
    change = f"{'an' if name[0] in 'aeiou' else 'a'} {name} for {where}"  # 'an executive for Kano Medical Centre'
    problem = staff.role_change_problem(role, hospital)
    if problem:
        say.error(problem, where=tab)
    elif (role, hospital) == (account.role, account.hospital_id):
        say.info(f"Nothing to change: {account.email} is already {change}.", where=tab)
    else:
        commands.ask_first(ctx, CHANGE_ROLE, account.user_id, role, hospital, affects=hospital or account.hospital_id,
                           email=account.email, change=change)  # fmt: skip
