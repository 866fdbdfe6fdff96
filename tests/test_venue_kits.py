"""Every registered venue has a test kit giving the whole kit API, so the shared tests cover it."""

from __future__ import annotations

import pytest
import yaml

from kits import API, kit, venues_with_kits
from reconciler.venues.registry import supported_venues


def test_every_registered_venue_has_a_kit():
    missing = [venue for venue in supported_venues() if venue not in venues_with_kits()]
    assert not missing, "add a test kit for " + ", ".join(
        f"{venue}: tests/kits/{venue}.py defining {', '.join(API)} "
        "(see tests/kits/__init__.py)" for venue in missing)


@pytest.mark.parametrize("venue", venues_with_kits())
def test_a_kit_defines_the_whole_api(venue):
    missing = [name for name in API if not hasattr(kit(venue), name)]
    assert not missing, f"tests/kits/{venue}.py lacks " + "; ".join(f"{name}: {API[name]}" for name in missing)


@pytest.mark.parametrize("venue", venues_with_kits())
def test_a_kits_scenario_is_one_account_of_its_venue_on_its_own_world(venue, tmp_path):
    venue_kit = kit(venue)
    assert venue_kit.VENUE == venue
    assert set(venue_kit.world()) == {venue} and set(venue_kit.rules_world()) == {venue}
    for path in (venue_kit.config(tmp_path, "http://127.0.0.1:1"), venue_kit.rules_config(tmp_path, "http://127.0.0.1:1")):
        accounts = yaml.safe_load(path.read_text())["accounts"]
        assert list(accounts) == [venue_kit.ACCOUNT] and accounts[venue_kit.ACCOUNT]["venue"] == venue
        assert accounts[venue_kit.ACCOUNT]["credentials"] == venue_kit.CREDENTIALS
    assert set(venue_kit.SECRETS) <= set(venue_kit.CREDENTIALS.values())
    assert set(venue_kit.RULE_TARGETS) == {"leverage", "margin_mode", "margin_move"}
