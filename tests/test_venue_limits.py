"""Every endpoint an adapter paces has a limit in the documents' table (bench/venue_limits.py), and the
adapter never paces looser than it; a stricter pace needs a comment in the adapter saying why."""

from __future__ import annotations

import inspect

import pytest

from bench.venue_limits import VENUE_LIMITS, Limit, not_looser, parse_limit
from reconciler.venues.registry import adapter_class, supported_venues


def pacing_problems(venue: str, rate_limits: dict[str, str], source: str) -> list[str]:
    """One line per endpoint whose pace is undocumented, looser than the document, or silently stricter."""
    lines = source.splitlines()
    problems = []
    for endpoint, text in rate_limits.items():
        documented = VENUE_LIMITS[venue].get(endpoint)
        paced = parse_limit(text)
        if documented is None:
            problems.append(f"{venue} {endpoint}: paced at {text}, but the documents' table has no limit for it")
        elif not not_looser(paced, documented):
            problems.append(f"{venue} {endpoint}: paced at {text}, looser than the documented "
                            f"{documented.text} per {documented.per} ({documented.source})")
        elif paced != (documented.count, documented.seconds) and not _commented(lines, endpoint):
            problems.append(f"{venue} {endpoint}: paced at {text}, stricter than the documented "
                            f"{documented.text} with no comment in the adapter saying why")
    return problems


def _commented(lines: list[str], endpoint: str) -> bool:
    """A comment on the endpoint's line of the adapter's table, or on the line just above it."""
    for index, line in enumerate(lines):
        if f'"{endpoint}"' in line:
            return "#" in line.split(f'"{endpoint}"', 1)[1] or (index > 0 and lines[index - 1].strip().startswith("#"))
    return False


def test_the_table_covers_every_venue_with_sources():
    assert set(VENUE_LIMITS) == set(supported_venues())
    for venue, limits in VENUE_LIMITS.items():
        for endpoint, limit in limits.items():
            assert endpoint.split(" ", 1)[0] in ("GET", "POST") and endpoint.split(" ", 1)[1].startswith("/")
            assert limit.count > 0 and limit.seconds > 0 and limit.source and limit.per, (venue, endpoint)


@pytest.mark.parametrize("venue", supported_venues())
def test_every_paced_endpoint_is_documented_and_not_looser(venue):
    cls = adapter_class(venue)
    assert cls.rate_limits, f"{venue}: the adapter paces nothing"
    assert pacing_problems(venue, cls.rate_limits, inspect.getsource(inspect.getmodule(cls))) == []


def test_a_wrong_limit_in_an_adapter_is_caught():
    source = '''rate_limits = {
        "POST /api/v5/account/set-leverage": "40/2s",
        "GET /api/v5/account/positions": "5/2s",
        # half the documented rate: shared with a second process
        "GET /api/v5/account/config": "2/2s",
        "GET /api/v5/account/made-up": "1/2s",
        "GET /api/v5/account/leverage-info": "20/1s",
    }'''
    limits = {"POST /api/v5/account/set-leverage": "40/2s", "GET /api/v5/account/positions": "5/2s",
              "GET /api/v5/account/config": "2/2s", "GET /api/v5/account/made-up": "1/2s",
              "GET /api/v5/account/leverage-info": "20/1s"}
    problems = pacing_problems("okx", limits, source)
    assert [p.split(":")[0] for p in problems] == [
        "okx POST /api/v5/account/set-leverage",      # looser: 40 per 2 s against 20
        "okx GET /api/v5/account/positions",          # stricter with no comment
        "okx GET /api/v5/account/made-up",            # not documented
        "okx GET /api/v5/account/leverage-info",      # 20/1s lets 40 through in OKX's 2 s window
    ]


def test_looser_means_more_requests_in_one_of_the_venues_windows():
    documented = Limit(20, 2, "User ID", "test")
    assert not_looser((20, 2), documented)
    assert not_looser((10, 1), documented)       # at most 20 in any 2 s
    assert not not_looser((11, 1), documented)   # 22 in 2 s
    assert not not_looser((1, 0.05), Limit(5, 1, "UID", "test"))  # 20 per second against 5
    assert not not_looser((1, 1), Limit(5, 60, "user", "test"))   # 60 per minute against 5
    assert not_looser((5, 60), Limit(5, 60, "user", "test"))
