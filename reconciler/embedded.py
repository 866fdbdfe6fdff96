"""The in-process simulator a file can declare (`simulator: {world: ...}`), its state kept beside the file."""

from __future__ import annotations

from pathlib import Path

from .sim.server import SimServer
from .sim.world import load_world, save_world


def state_path(config_path: str | Path) -> Path:
    """Where the embedded simulator keeps its state between runs: `.NAME.sim-state.yaml` beside the file."""
    config_path = Path(config_path)
    return config_path.parent / f".{config_path.stem}.sim-state.yaml"


class EmbeddedSimulator:
    """Starts the simulators on a loopback port, seeded from the saved state (or the world at first)."""

    def __init__(self, world_path: str | Path, config_path: str | Path):
        self.world_path = Path(world_path)
        self.state_file = state_path(config_path)
        self.server: SimServer | None = None

    async def start(self) -> str:
        source = self.state_file if self.state_file.exists() else self.world_path
        world = load_world(source)
        self.server = SimServer(world)
        return await self.server.start("127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is None:
            return
        save_world(self.server.world(), self.state_file)  # the world's settings (rate_limits, ...) included
        await self.server.stop()
        self.server = None
