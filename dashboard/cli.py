"""`healthdash`: the command line. Database commands live in db.cli; `run` in dashboard.run_command.

Every failure a user can cause (bad URL, unreachable server, refused confirmation) ends with one
plain line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from dashboard import run_command
from db import cli as db_cli
from db.engine import DatabaseUnavailable
from db.errors import CommandError
from db.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="healthdash", description="Hospital network dashboard: database tools and the web app."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    db_cli.register(commands)
    run_command.register(commands)
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
