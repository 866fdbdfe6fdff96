"""Leases in both backends: a holder keeps and renews its own, takes free or expired ones up to a share, and
never takes one another holder keeps alive."""

from __future__ import annotations

import asyncio

from pg import pg_server, pg_url  # noqa: F401  (fixtures)
from reconciler.backends import backend_from_url
from reconciler.watch.leases import Leases


async def exercise(backend) -> None:
    await backend.open()
    try:
        keys = [f"account k{n}" for n in range(4)]
        assert await backend.take_leases(keys, "a", ttl=30, limit=1) and len(
            await backend.take_leases(keys, "a", ttl=30)) == 4  # the first call took one; the second the rest
        assert await backend.take_leases(keys, "b", ttl=30) == set()  # a's are alive
        await backend.drop_leases(keys[:2], "a")
        assert await backend.take_leases(keys, "b", ttl=30) == set(keys[:2])
        assert await backend.take_leases(keys[2:], "a", ttl=0.2) == set(keys[2:])  # renewed, briefly
        await asyncio.sleep(0.4)
        assert await backend.take_leases(keys, "b", ttl=30) == set(keys)  # a's expired: b takes them
        assert await backend.count_leases("account ") == 4

        first, second = Leases(backend, ttl=30, holder="r1"), Leases(backend, ttl=30, holder="r2")
        others = [f"account x{n}" for n in range(4)]
        assert await first.claim(others) == set(others)  # alone: everything
        assert await second.claim(others) == set()  # none free yet
        assert len(await first.claim(others)) == 2  # two replicas alive now: first gives up its surplus
        assert len(await second.claim(others)) == 2
        assert first.held.isdisjoint(second.held)
        await first.release()
        assert await second.claim(others) == set(others)  # released at once, not after the ttl
    finally:
        await backend.close()


async def test_local_leases(tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    await exercise(backend_from_url("local"))


async def test_postgres_leases(pg_url):
    await exercise(backend_from_url(pg_url))
