"""`healthdash digests run [--now ISO]`: send the digests that are due (dashboard/domains/digests/delivery.py).

It sits above the services, beside run_command.py, because a list's Excel is the page's own export: the
columns of the page's Table and the kit's workbook writer (kit/export.xlsx_bytes), which the services below
may not import. Meant for cron or a systemd timer every few minutes (README); a run with nothing due does
nothing, and two runs at once never send a digest twice.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from db.errors import CommandError


def _tables() -> dict:
    # Late imports: the page modules load Streamlit, which only this command's run needs.
    from dashboard.domains.appointments import appointments_page
    from dashboard.domains.floor import admissions_page
    from dashboard.domains.governance import licences_page

    return {"admitted": admissions_page.ADMITTED.table, "appointments": appointments_page.COLUMNS,
            "licences": licences_page.TABLE}  # fmt: skip


def list_file(key: str, rows: list, network_wide: bool) -> bytes:
    """A list's rows as the page's Excel export: its own columns (hospital named network-wide), formula-safe."""
    from dashboard.domains.digests import lists
    from dashboard.kit.export import xlsx_bytes

    frame = _tables()[key].export(network_wide)(rows)
    return xlsx_bytes(frame, lists.LISTS[key].label)


def parse_now(raw: str | None) -> datetime:
    """--now as an ISO moment; without a zone it is Lagos time. Absent: the clock's now."""
    from dashboard.platform.dates import LAGOS

    if raw is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(
            f"--now {raw!r} is not a date and time; write it like 2026-12-07T07:05 (Lagos time)."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LAGOS)


RESULT_WORDS = {"sent": "Sent", "retry": "Failed, will retry", "failed": "Failed (last attempt)",
                "withheld": "Withheld"}  # fmt: skip


def table_lines(outcomes) -> list[str]:
    from dashboard.platform.formatting import lagos_datetime

    header = ("Due (Lagos)", "To", "Digest", "Scope", "Result")
    rows = [(lagos_datetime(o.due_at), o.recipient or "—", o.what, o.scope, RESULT_WORDS.get(o.status, o.status))
            for o in outcomes]  # fmt: skip
    widths = [min(40, max(len(str(r[i])) for r in [header, *rows])) for i in range(len(header))]
    lines = ["  ".join(str(c)[:w].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    for outcome in outcomes:
        if outcome.status != "sent":
            lines.append(f"  {outcome.recipient or 'A subscriber'}: {outcome.detail}")
    return lines


def cmd_digests_run(args: argparse.Namespace, engine=None) -> int:
    from dashboard.domains.digests import delivery
    from db import cli as db_cli
    from db.engine import check_connection, get_engine

    now = parse_now(args.now)
    try:
        smtp = delivery.Smtp.from_settings()
    except delivery.DigestSetupError as exc:
        raise CommandError(str(exc)) from None
    if engine is None:
        engine = get_engine()
        check_connection(engine)
        db_cli.require_head(engine)
    queued, outcomes = delivery.run_digests(engine, now=now, smtp=smtp, list_file=list_file)
    sent = sum(o.status == "sent" for o in outcomes)
    print(f"Digests due by {now.isoformat(timespec='minutes')}: {queued:,} newly queued, {len(outcomes):,} tried, "
          f"{sent:,} sent.")  # fmt: skip
    if outcomes:
        print("\n".join(table_lines(outcomes)))
    return 0 if all(o.status in ("sent", "withheld", "retry") for o in outcomes) else 1


def register(commands: argparse._SubParsersAction) -> None:
    digests = commands.add_parser("digests", help="scheduled digests by email")
    actions = digests.add_subparsers(dest="digests_command", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="send the digests that are due (for cron or a systemd timer)")
    run.add_argument("--now", help="act as if it were this moment (ISO, Lagos time unless a zone is given)")
    run.set_defaults(handler=cmd_digests_run)
