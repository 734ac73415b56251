"""Users & roles' "Ward screens" part: the wall screens paired to a hospital's ward view; pair one, disconnect one.

A network administrator manages every hospital's screens, a hospital administrator their own. Pairing
shows the screen's link once (its secret is stored only as a hash, people/ward_screens.py); disconnecting
asks first and ends the screen's view at its next refresh. Each is one transaction with its audit row.
"""

from __future__ import annotations

import streamlit as st

from dashboard.domains.floor import waitlist_queue
from dashboard.domains.people import sessions, ward_screens
from dashboard.kit import commands, say
from dashboard.kit.commands import Command
from dashboard.kit.page import PageContext
from dashboard.kit.tables import Column, Table, hospital_column
from dashboard.platform.errors import ServiceError
from dashboard.platform.formatting import lagos_date, md_escape
from dashboard.shell import data, gate

LINK_KEY = "users_screens_link"  # the pairing link of the screen just made: shown on the next run, then gone
WHOLE_HOSPITAL = "The whole hospital"


def _state(row: ward_screens.ScreenRow) -> str:
    return "Paired" if row.live else f"Disconnected {lagos_date(row.revoked_at)}"


SCREENS = Table(
    [
        Column("Screen", "name"),
        hospital_column(),
        Column("Shows", "shows"),
        Column("State", _state),
        Column("Last seen (Lagos)", "last_seen_at", "datetime", empty="Never"),
        Column("Paired (Lagos)", "created_at", "datetime"),
    ]
)

DISCONNECT = Command(
    "screen_disconnect", ward_screens.revoke_screen, words=("name",),
    done="\u201c{name}\u201d is disconnected: it shows the disconnected notice at its next refresh.",
    question="Disconnect \u201c{name}\u201d? It stops showing figures at its next refresh and needs a new pairing "
    "link to show them again.",
)  # fmt: skip


def render_part(ctx: PageContext) -> None:
    st.subheader("Ward screens")
    st.caption(
        "Wall screens in a ward or at the emergency desk that show the hospital's live figures, without anyone "
        f"signed in on them. They refresh themselves every {gate.live_refresh_seconds():g} seconds."
    )
    _new_link()
    screens = data.cached(ward_screens.list_screens, ctx.actor)
    if screens:
        st.dataframe(SCREENS.frame(screens, network_wide=ctx.network_wide), hide_index=True, width="stretch")
    else:
        say.info("No screens are paired in this scope yet. Pair one below: open its link on the screen's browser.")
    pair_column, disconnect_column = st.columns(2)
    with pair_column.container(border=True):
        _pair(ctx)
    with disconnect_column.container(border=True):
        _disconnect(ctx, [s for s in screens if s.live])
    commands.confirming(ctx, DISCONNECT)


def _new_link() -> None:
    link = st.session_state.pop(LINK_KEY, None)
    if link is None:
        return
    name, path = link
    say.success(f"Screen paired. Open this link in the browser of \u201c{md_escape(name)}\u201d. Copy it now: it is "
                "shown only this once, and anyone holding it can show this hospital's figures until you disconnect "
                "the screen.",
                icon=":material/tv:")  # fmt: skip
    try:
        base = str(st.context.url).split("?", 1)[0].rsplit("/", 1)[0]
    except Exception:  # no request behind this run: the path alone still works on the same server
        base = ""
    st.code(base + path, language=None, wrap_lines=True)


def _pair(ctx: PageContext) -> None:
    st.markdown("**Pair a new screen**")
    hospitals = dict(data.hospital_choices(ctx.actor))
    departments = data.cached(waitlist_queue.departments, ctx.actor)
    with st.form(commands.form_key(ctx, "screen_pair"), border=False):
        name = st.text_input("Where it hangs", max_chars=80, placeholder="Ward B nurses' station",
                             key=commands.form_key(ctx, "screen_name"))  # fmt: skip
        hospital = st.selectbox("Hospital", list(hospitals), format_func=hospitals.get, disabled=len(hospitals) == 1,
                                key=commands.form_key(ctx, "screen_hospital"))  # fmt: skip
        department = st.selectbox(
            "Patients waiting in", [None, *departments], format_func=lambda d: WHOLE_HOSPITAL if d is None else d,
            key=commands.form_key(ctx, "screen_department"),
            help="The waiting figures of one department, or of the whole hospital. Beds and emergencies are the "
            "hospital's.",
        )  # fmt: skip
        pressed = st.form_submit_button("Pair screen", icon=":material/add_to_queue:")
    if not pressed:
        return
    try:
        new = data.write(commands.in_a_live_session(ward_screens.create_screen), ctx.actor, hospital, name,
                         department, affects=hospital)  # fmt: skip
    except sessions.SessionNoLongerValid as exc:
        say.error(str(exc))
        gate.command_refused_for_the_session()
        return
    except ServiceError as exc:
        say.error(str(exc))
        return
    st.session_state[LINK_KEY] = (new.name, new.pairing_path())
    st.session_state[f"{ctx.key}__nonce"] = commands.nonce(ctx.key) + 1  # the form starts empty, as after perform()
    commands.done(f"\u201c{md_escape(new.name)}\u201d is paired; its link is below.", ctx.key)


def _disconnect(ctx: PageContext, live: list[ward_screens.ScreenRow]) -> None:
    st.markdown("**Disconnect a screen**")
    if not live:
        st.caption("No paired screen to disconnect.")
        return
    by_id = {s.screen_id: s for s in live}
    chosen = by_id[
        st.selectbox("Screen", list(by_id), key="users_screens_disconnect",
                     format_func=lambda i: f"{by_id[i].name} ({by_id[i].hospital_name})")
    ]  # fmt: skip
    if st.button("Disconnect…", key="users_screens_disconnect_button", icon=":material/tv_off:"):
        commands.ask_first(ctx, DISCONNECT, chosen.screen_id, affects=chosen.hospital_id, name=md_escape(chosen.name))
