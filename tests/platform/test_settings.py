"""The typed settings: defaults, a TOML file, the environment over both, and refusals in a sentence."""

from __future__ import annotations

import pytest

from db import settings
from db.settings import Level, SettingsError


def test_defaults_without_file_or_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    values = settings.build({})
    assert values.stale_hours == 24 and values.wait_target("urgent").raise_at == 15


def test_file_then_environment_override(tmp_path):
    path = tmp_path / "custom.toml"
    path.write_text("[thresholds]\nstale_hours = 6\noccupancy_raise_percent = 95\n")
    values = settings.build({"HEALTHDASH_SETTINGS_FILE": str(path), "HEALTHDASH_STALE_HOURS": "3"})
    assert values.stale_hours == 3  # the environment wins over the file
    assert values.occupancy.raise_at == 95


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"HEALTHDASH_STALE_HOURS": "soon"}, "must be a number"),
        ({"HEALTHDASH_STALE_HOURS": "-1"}, "zero or more"),
        ({"HEALTHDASH_IDLE_TIMEOUT_MINUTES": "0"}, "more than zero"),
        ({"HEALTHDASH_SETTINGS_FILE": "/no/such/file.toml"}, "does not exist"),
    ],
)
def test_bad_values_are_refused_in_a_sentence(environ, words):
    with pytest.raises(SettingsError, match=words):
        settings.build(environ)


def test_unknown_name_in_the_file_is_refused(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("stale_hour = 6\n")
    with pytest.raises(SettingsError, match="'stale_hour', which is not a setting"):
        settings.build({"HEALTHDASH_SETTINGS_FILE": str(path)})


def test_an_alert_does_not_flap_between_its_levels():
    occupancy = Level(raise_at=90, clear_at=85)
    readings = [84, 89, 90, 88, 86, 85, 89, 91]
    raised, states = False, []
    for value in readings:
        raised = occupancy.breached(value, was_raised=raised)
        states.append(raised)
    # Raised at 90, held while above 85, cleared at 85, not raised again at 89 (below the raise level).
    assert states == [False, False, True, True, True, False, False, True]
    low_free = Level(raise_at=10, clear_at=15, higher_is_worse=False)
    assert low_free.breached(10) and not low_free.breached(12) and low_free.breached(12, was_raised=True)


def test_one_settings_object_holds_the_connection_too(tmp_path):
    environ = {
        "DATABASE_URL": "postgresql://app@db/healthdash",
        "HEALTHDASH_POOL_SIZE": "8",
        "HEALTHDASH_POOLER": "transaction",
        "HEALTHDASH_ALLOWED_ORIGINS": "https://Ops.Example.ng/, https://b.example.ng",
        "HEALTHDASH_STALE_HOURS": "6",
    }
    values = settings.build(environ)
    assert values.database_url == "postgresql://app@db/healthdash" and values.pool_size == 8
    assert values.pooler == "transaction" and values.stale_hours == 6
    assert values.allowed_origins == {"https://ops.example.ng", "https://b.example.ng"}
    assert settings.environment(environ).pool_size == 8 and settings.environment({}).pool_size == 5


def test_an_address_is_never_read_from_the_settings_file(tmp_path):
    """The file is for thresholds; addresses carry passwords and come from the environment only."""
    path = tmp_path / "addresses.toml"
    path.write_text('database_url = "postgresql://app:secret@db/healthdash"\n')
    with pytest.raises(SettingsError, match="'database_url', which is not a setting"):
        settings.build({"HEALTHDASH_SETTINGS_FILE": str(path)})
