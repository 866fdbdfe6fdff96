"""What every hostile case asserts: exit 1, one clear line on stderr, no secret shown, nothing written anywhere."""

from __future__ import annotations

from conftest import writes
from kits import kit, venues_with_kits

PLANTED = "supersecret-9f8e7d"  # a secret a case hides in a file or a variable
# Values that must never appear in any output: the test keys' secrets, and the planted ones.
SECRETS = (*(secret for venue in venues_with_kits() for secret in kit(venue).SECRETS), "an-unrelated-secret", PLANTED)


def assert_one_clear_line(code: int, err: str, *expected: str, exit_code: int = 1) -> str:
    """Exit 1, exactly one line on stderr holding every expected fragment (a stale plan's refusal: its headline and
    one indented line per difference), no traceback, no internal error."""
    assert code == exit_code, err
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    listed = lines[0].endswith("What changed since it was made:")  # a stale plan: its headline, then one line a change
    assert len(lines) == 1 or (listed and all(line.startswith("error:   ") for line in lines[1:])), err
    for fragment in expected:
        assert fragment in (err if listed else lines[0]), err
    return lines[0]


def assert_refused(result: tuple[int, str, str], *expected: str, sims=(), exit_code: int = 1) -> str:
    """One clear line naming `expected`, no secret in stdout or stderr, and no write in any simulator's log."""
    code, out, err = result
    line = assert_one_clear_line(code, err, *expected, exit_code=exit_code)
    assert_no_secret(out + err)
    for sim in sims:
        assert_nothing_written(sim)
    return line


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (secret, text)


def assert_nothing_written(sim) -> None:
    """No request but GET in the call log of any venue the simulator serves."""
    for venue in sim.server.venues:
        assert writes(sim.calls(venue)) == [], venue
