"""The settings of .streamlit/config.toml that keep internals and unrecorded exports away from users."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_the_shipped_config_keeps_internals_and_data_in():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"  # a sentence, never a traceback
    assert config["client"]["toolbarMode"] == "minimal"  # no Deploy button or developer menu
    assert config["client"]["disableDataExport"] is True  # tables' own CSV button would skip the audit
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == 10
    assert config["server"]["fileWatcherType"] == "none"  # a serving server never hot-reloads code
    assert config["server"]["runOnSave"] is False
    assert config["browser"]["gatherUsageStats"] is False
