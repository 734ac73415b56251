"""The settings now live in db/settings.py (one typed Settings for everything read from the environment
and healthdash.toml); this module forwards to it until every caller imports it from there."""

from db.settings import (  # noqa: F401
    DEFAULT_FILE,
    ENV_PREFIX,
    FILE_VARIABLE,
    WAIT_PRIORITIES,
    Level,
    Settings,
    SettingsError,
    build,
    current,
    environment,
)
