"""Fixtures the simulator tests share: the module's world served in-process, and an HTTP session."""

from __future__ import annotations

import copy

import aiohttp
import pytest

from reconciler.sim.server import SimServer


@pytest.fixture
async def srv(request):
    """A SimServer seeded with the test module's WORLD (a copy: each test starts from it)."""
    async with SimServer(copy.deepcopy(request.module.WORLD)) as server:
        yield server


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session
