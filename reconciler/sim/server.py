"""One aiohttp server for every venue simulator, with the admin API and fault injection."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from .base import SIM_CODE, VenueSim
from .faults import Fault
from .registry import available_venues, simulator_class
from .world import timestamp_windows


class SimServer:
    """Serves the venues of a world on one address; usable in-process (tests, quickstart) or standalone."""

    def __init__(self, world: dict):
        overrides = world.get("rate_limits") or {}
        windows = timestamp_windows(world)
        self.venues: dict[str, VenueSim] = {
            venue: simulator_class(venue)(world.get(venue) or {}, overrides, windows.get(venue))
            for venue in available_venues()
        }
        self.app = web.Application(middlewares=[self._middleware])
        for sim in self.venues.values():
            for method, path, handler in sim.routes():
                self.app.router.add_route(method, path, handler)
        self._add_admin_routes()
        self._settings = {key: value for key, value in world.items() if key not in self.venues}
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    def world(self) -> dict:
        """The whole world as it is now: every venue's section, and the settings it was given."""
        return {**{venue: sim.state() for venue, sim in self.venues.items()}, **self._settings}

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # A handler whose client has gone away is cancelled, so only what a venue would still do for
        # it happens (a delayed request, already received, is shielded from this on purpose).
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        """Stop serving; delayed requests not yet processed are dropped, as by a venue going down."""
        for sim in self.venues.values():
            for task in list(sim.in_flight):
                task.cancel()
            await asyncio.gather(*sim.in_flight, return_exceptions=True)
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.stop()

    # --- venue traffic ----------------------------------------------------------------------
    def _venue_for(self, path: str) -> VenueSim | None:
        for sim in self.venues.values():
            if path.startswith(sim.prefix):
                return sim
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        sim = self._venue_for(request.path)
        if sim is None or request.path.startswith("/__sim/"):
            return await handler(request)
        body = await request.text()
        fault = sim.faults.take(request.method, request.path)
        if fault is None:
            response = await handler(request)
            sim.record(request, body, sim.answer(request, response))
            return response
        if fault.kind == "delay":
            return await _delayed(sim, fault, request, handler, body)
        return await _faulted(sim, fault, request, handler, body)

    # --- admin API --------------------------------------------------------------------------
    def _add_admin_routes(self) -> None:
        route = self.app.router.add_route
        route("GET", "/__sim/{venue}/state", self._get_state)
        route("PUT", "/__sim/{venue}/state", self._put_state)
        route("GET", "/__sim/{venue}/calls", self._get_calls)
        route("DELETE", "/__sim/{venue}/calls", self._delete_calls)
        route("GET", "/__sim/{venue}/faults", self._get_faults)
        route("POST", "/__sim/{venue}/faults", self._post_faults)
        route("DELETE", "/__sim/{venue}/faults", self._delete_faults)
        route("POST", "/__sim/{venue}/settle", self._settle)

    def _sim(self, request: web.Request) -> VenueSim:
        venue = request.match_info["venue"]
        if venue not in self.venues:
            raise web.HTTPNotFound(text=json.dumps({"error": f"no simulator for venue {venue!r}"}),
                                   content_type="application/json")
        return self.venues[venue]

    async def _get_state(self, request):
        return web.json_response(self._sim(request).state())

    async def _put_state(self, request):
        sim = self._sim(request)
        section = await _json_body(request)
        try:
            sim.set_state(section)
        except (KeyError, TypeError, ValueError) as exc:
            return _bad_request(f"invalid {sim.name} state: {exc}")
        sim.reset_limits()
        return web.json_response(sim.state())

    async def _get_calls(self, request):
        return web.json_response(self._sim(request).calls)

    async def _delete_calls(self, request):
        self._sim(request).calls.clear()
        return web.json_response([])

    async def _get_faults(self, request):
        return web.json_response(self._sim(request).faults.pending())

    async def _post_faults(self, request):
        sim = self._sim(request)
        items = await _json_body(request)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            return _bad_request("faults must be a list of fault objects")
        try:
            faults = [Fault.from_json(item) for item in items]
        except ValueError as exc:
            return _bad_request(f"{sim.name} fault: {exc}")
        for fault in faults:
            if not fault.path.startswith(sim.prefix):
                return _bad_request(f"{sim.name} fault: path {fault.path!r} is not under {sim.prefix}")
        sim.faults.add(faults)
        return web.json_response(sim.faults.pending())

    async def _delete_faults(self, request):
        self._sim(request).faults.clear()
        return web.json_response([])

    async def _settle(self, request):
        """Wait until every delayed request of the venue has been processed; answer its call log."""
        sim = self._sim(request)
        while sim.in_flight:
            await asyncio.wait(set(sim.in_flight))
        return web.json_response(sim.calls)


# --- serving a request under a fault ----------------------------------------------------------
async def _delayed(sim: VenueSim, fault: Fault, request: web.Request, handler, body: str):
    """Hold the request, then let the venue process it, even if its client has given up meanwhile."""

    async def late() -> web.StreamResponse:
        await asyncio.sleep(fault.seconds)
        response = await handler(request)
        sim.record(request, body, sim.answer(request, response), fault.kind)
        return response

    task = asyncio.create_task(late())
    sim.in_flight.add(task)
    task.add_done_callback(sim.in_flight.discard)
    return await asyncio.shield(task)


async def _faulted(sim: VenueSim, fault: Fault, request: web.Request, handler, body: str):
    """Serve a fault that replaces or withholds the venue's answer; log what the client got."""
    venue_answer = None
    if fault.executes_first:
        venue_answer = sim.answer(request, await handler(request))
        request.pop(SIM_CODE, None)
    response = _replacement(sim, fault, request)
    sim.record(request, body, sim.answer(request, response), fault.kind, venue_answer)
    if response is not None:
        return response
    if fault.kind == "timeout":
        await asyncio.sleep(fault.seconds)
    _drop(request)
    return web.Response(status=500)  # never reaches the client: the connection is gone


def _replacement(sim: VenueSim, fault: Fault, request: web.Request) -> web.Response | None:
    """The answer a fault gives instead of the venue's; None when the connection is dropped instead."""
    if fault.kind == "venue_error":
        return sim.error_reply(request, fault.status, fault.code, fault.message)
    if fault.kind == "rate_limit":
        return sim.rate_limited(request)
    if fault.kind == "busy":
        return sim.busy(request)
    if fault.kind == "http_500":
        return web.Response(status=500, text="Internal Server Error")  # a gateway's page, no venue code
    if fault.kind == "garbled":
        return web.Response(status=200, text='{"code": "0", "data": [{"', content_type="application/json")
    return None


def _drop(request: web.Request) -> None:
    """Close the connection without an answer, as a network fault would."""
    if request.transport is not None:
        request.transport.abort()


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def _json_body(request: web.Request):
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "body is not JSON"}),
                                 content_type="application/json") from None


async def serve_forever(world: dict, host: str, port: int, on_ready=print) -> None:
    """Run the simulators until cancelled (the `sim` command)."""
    server = SimServer(world)
    url = await server.start(host, port)
    on_ready(f"listening on {url}")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
