"""The in-process simulator a file can declare (`simulator: {world: ...}`), its state kept beside the file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ReconcilerError


def state_path(config_path: str | Path) -> Path:
    """Where the embedded simulator keeps its state between runs: `.NAME.sim-state.yaml` beside the file,
    or in RECONCILER_STATE_DIR when that is set."""
    config_path = Path(config_path)
    state_dir = os.environ.get("RECONCILER_STATE_DIR")
    return (Path(state_dir) if state_dir else config_path.parent) / f".{config_path.stem}.sim-state.yaml"


class EmbeddedSimulator:
    """Starts the simulators on a loopback port, seeded from the saved state (or the world at first)."""

    def __init__(self, world_path: str | Path, config_path: str | Path):
        self.world_path = Path(world_path)
        self.state_file = state_path(config_path)
        self.server = None  # a reconciler.sim.server.SimServer once started (imported then: real accounts need none)

    async def start(self) -> str:
        try:  # the state is saved when the run ends: find out now, before anything is sent, that it can be
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=self.state_file.parent).close()
        except OSError as exc:
            raise ReconcilerError(f"simulator state {self.state_file} cannot be written: {exc.strerror or exc}; "
                                  "set RECONCILER_STATE_DIR to a directory this user can write") from None
        from .sim.server import SimServer
        from .sim.world import load_world
        source = self.state_file if self.state_file.exists() else self.world_path
        world = load_world(source)
        self.server = SimServer(world)
        return await self.server.start("127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is None:
            return
        from .sim.world import save_world
        save_world(self.server.world(), self.state_file)  # the world's settings (rate_limits, ...) included
        await self.server.stop()
        self.server = None
