"""What every hostile case asserts: exit 1, one clear line on stderr, no secret shown, nothing written anywhere."""

from __future__ import annotations

from conftest import writes
from test_bitget_e2e import KEY

# Values that must never appear in any output: the Bitget test key's secrets, and one a case plants.
SECRETS = (KEY["secret"], KEY["passphrase"], "an-unrelated-secret", "supersecret-9f8e7d")


def assert_one_clear_line(code: int, err: str, *expected: str, exit_code: int = 1) -> str:
    """Exit 1, exactly one line on stderr holding every expected fragment, no traceback, no internal error."""
    assert code == exit_code, err
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for fragment in expected:
        assert fragment in lines[0], err
    return lines[0]


def assert_refused(result: tuple[int, str, str], *expected: str, sims=(), venue: str = "bitget") -> str:
    """One clear line naming `expected`, no secret in stdout or stderr, and no write in any simulator's log."""
    code, out, err = result
    line = assert_one_clear_line(code, err, *expected)
    for secret in SECRETS:
        assert secret not in out + err, (secret, out + err)
    for sim in sims:
        assert writes(sim.calls(venue)) == []
    return line
