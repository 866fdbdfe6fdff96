"""Webhook notifications, Slack-compatible (`slack:URL`, a hooks.slack.com URL) or plain JSON, sent in the background."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

import aiohttp

EVENTS = ("drift_detected", "drift_resolved", "blocked", "heal_failed", "watcher_errored")
ATTEMPTS = 3
TIMEOUT = 5.0
QUEUE = 1000  # events waiting to be sent; past this the oldest are dropped (and logged)

log = logging.getLogger("reconciler.watch")


class Target:
    """One `--webhook`: its URL and form; shown only as its host, since webhook URLs carry their token."""

    def __init__(self, text: str):
        form, _, rest = text.partition(":")
        if form in ("slack", "json") and rest.startswith("http"):
            self.form, self.url = form, rest
        else:
            self.url = text
            self.form = "slack" if (urlsplit(text).hostname or "").endswith("hooks.slack.com") else "json"
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--webhook {self.shown}: must be an http(s) URL, optionally prefixed slack: or json:")

    @property
    def shown(self) -> str:
        return f"{self.form} webhook on {urlsplit(self.url).hostname or '?'}"

    def body(self, event: dict) -> dict:
        return {"text": summary(event)} if self.form == "slack" else event


def summary(event: dict) -> str:
    """One line a person reads in a chat channel."""
    where = "/".join(part for part in (event.get("account"), event.get("symbol"), event.get("setting")) if part)
    values = f": {event.get('old')} -> {event.get('new')}" if "old" in event or "new" in event else ""
    reason = f" ({event['reason']})" if event.get("reason") else ""
    return f"[reconciler] {event['event'].replace('_', ' ')}{' ' + where if where else ''}{values}{reason}"


def event(kind: str, **fields) -> dict:
    """An event document: its kind, the time, and the fields given (None values left out)."""
    return {"event": kind, "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **{key: value for key, value in fields.items() if value is not None}}


class Notifier:
    """`send(event)` queues an event for every target; a background task posts them, retrying a little."""

    def __init__(self, targets: list[Target], redact=lambda text: text):
        self.targets = targets
        self.redact = redact  # removes anything secret from reasons (the watcher passes its credentials' filter)
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self.targets:
            self._queue = asyncio.Queue(QUEUE)
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
            self._task = asyncio.create_task(self._deliver())

    def send(self, document: dict) -> None:
        document = {key: self.redact(value) if isinstance(value, str) else value for key, value in document.items()}
        log.info("event %s", summary(document))
        if self._queue is None:
            return
        if self._queue.full():
            dropped = self._queue.get_nowait()
            log.warning("webhook queue full: dropped %s", summary(dropped))
        self._queue.put_nowait(document)

    async def stop(self, grace: float = 5.0) -> None:
        """Deliver what is queued (for at most `grace` seconds), then close."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), grace)
        except TimeoutError:
            log.warning("webhooks: %d events not delivered at exit", self._queue.qsize())
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._session.close()

    async def _deliver(self) -> None:
        while True:
            document = await self._queue.get()
            try:
                await asyncio.gather(*(self._post(target, document) for target in self.targets))
            finally:
                self._queue.task_done()

    async def _post(self, target: Target, document: dict) -> None:
        payload = json.dumps(target.body(document), default=str)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._session.post(target.url, data=payload,
                                              headers={"Content-Type": "application/json"}) as answer:
                    if answer.status < 300:
                        return
                    problem = f"HTTP {answer.status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                problem = type(exc).__name__
            if attempt < ATTEMPTS:
                await asyncio.sleep(0.5 * 2 ** attempt)
        log.warning("%s: %s not delivered (%s)", target.shown, document["event"], problem)
