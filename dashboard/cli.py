"""`healthdash`: the command line. Database commands live in db.cli; `run` in dashboard.run_command.

Every failure a user can cause (bad URL, unreachable server, refused confirmation) ends with one
plain line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from dashboard import bench_load, digests_command, run_command
from db import cli as db_cli
from db.engine import DatabaseUnavailable
from db.errors import CommandError
from db.settings import SettingsError


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Check the wallets written to since the last check (every wallet and both hash chains with --full),
    advance their checkpoints, refresh the money summaries; exit 1 naming each wallet or link that fails."""
    from dashboard.domains.money.wallet_reconciliation import refresh_reconciliation
    from db.engine import unit_of_work

    engine = db_cli.connected_engine()
    db_cli.require_head(engine)
    with unit_of_work(engine) as db:
        run = refresh_reconciliation(db, None, full=args.full)
    how = "every wallet from its first transaction" if args.full else "the wallets written to since the last check"
    print(
        f"Checked {how}: {run.transactions_replayed:,} transactions replayed, {run.wallets_verified:,} wallets "
        f"verified, {run.problem_wallets:,} whose ledger or balance is wrong; summaries as of "
        f"{run.figures_as_of:%Y-%m-%d %H:%M:%S %Z}."
    )
    for wallet_id in run.broken_wallets:
        print(f"  Wallet {wallet_id}: its balance_after chain does not add up (the Financials page shows where).")
    for mismatch in run.balance_mismatches:
        print(f"  {mismatch.sentence()}")
    for link in run.chain_breaks:
        print(f"  {link.sentence()}")
    if run.heads is not None:
        heads = run.heads
        print(
            f"Hash chains {'hold' if not run.chain_breaks else 'are broken'}. Keep these heads elsewhere; a later "
            "--full that prints others for the same rows means the history was rebuilt:"
        )
        print(f"  audit trail: {heads.audit_rows:,} rows, head {heads.audit_head or '(empty)'}")
        print(
            f"  wallets: {heads.wallet_chains:,} chains, {heads.wallet_rows:,} transactions, root {heads.wallets_root}"
        )
    return 0 if run.sound else 1


def _add_page_bench(bench: argparse.ArgumentParser) -> None:
    """`healthdash bench pages` beside the data-layer bench (db.cli), which stays the default target."""
    bench.add_argument(
        "target",
        nargs="?",
        choices=("data", "pages", "load", "browser"),
        default="data",
        help="data (default), pages, load or browser",
    )
    bench.add_argument("--repeats", type=int, default=5, help="pages: renders per page and actor (default 5)")
    bench.add_argument("--pages", help="pages: only these page keys, comma-separated")
    bench.add_argument("--rebuild", action="store_true", help="pages: rebuild the kept demo database")
    bench.add_argument("--out", default="docs", help="pages: folder for the Markdown and JSON (default docs)")
    bench.add_argument(
        "--network",
        choices=("none", "slow4g", "3g"),
        default="none",
        help="browser: Chromium throttled to Chrome DevTools' Slow 4G or 3G preset (sign-in and a page change)",
    )

    bench_load.add_arguments(bench)

    def handler(args):
        if args.target == "load":
            return bench_load.cmd_bench_load(args)
        if args.target == "browser":
            from dashboard import bench_browser  # late: it loads Playwright when it runs

            return bench_browser.cmd_bench_browser(args)
        if args.target != "pages":
            return db_cli.cmd_bench(args)
        from dashboard import bench_pages  # late: it loads Streamlit's test harness

        return bench_pages.cmd_bench_pages(args)

    bench.set_defaults(handler=handler)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="healthdash", description="Hospital network dashboard: database tools and the web app."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db_cli.register(commands, reconcile=cmd_reconcile)
    run_command.register(commands)
    digests_command.register(commands)
    _add_page_bench(commands.choices["bench"])
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.handler(args) or 0)
    except (SettingsError, DatabaseUnavailable, CommandError) as exc:
        print(f"healthdash: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("healthdash: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # anything else: one line for the user, the traceback only with -v
        logging.getLogger("healthdash").debug("unexpected failure", exc_info=True)
        print(f"healthdash: unexpected error ({type(exc).__name__}: {exc}); rerun with -v for details", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
