"""The watcher's HTTP face: /metrics (Prometheus text), /healthz (the loop is alive), /readyz (a pass has completed)."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST


class StatusServer:
    """`await start(host, port)` -> the URL; `beat()` after each loop turn; `ready` once a pass has completed."""

    def __init__(self, metrics, stale_after: float):
        self.metrics = metrics
        self.stale_after = stale_after  # /healthz fails when the loop has not turned for this long
        self.ready = False
        self.last_beat = time.monotonic()
        self._runner: web.AppRunner | None = None

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    async def start(self, host: str, port: int) -> str:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # port 0 asks the system for a free one
        return f"http://{host}:{bound}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.exposition())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response

    async def _healthz(self, request: web.Request) -> web.Response:
        quiet = time.monotonic() - self.last_beat
        if quiet > self.stale_after:
            return web.Response(status=503, text=f"the watch loop has not turned for {quiet:.0f} s\n")
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        if not self.ready:
            return web.Response(status=503, text="no pass has completed yet\n")
        return web.Response(text="ready\n")
