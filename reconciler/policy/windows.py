"""Policy windows: UTC ranges ("Mon-Fri 06:00-07:30") or cron schedules in a time zone; which is open, and when."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FORM = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? "
                  r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def now() -> datetime:
    """The clock policy checks read (tests replace this function; nothing else can move it)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Window:
    """Opens on each of `days` at `start` and stays open `length`; an end at or before the start is the
    next day's (22:00-02:00 opens at 22:00 on the days named and closes at 02:00 the day after)."""

    text: str
    days: frozenset[int]  # 0 = Monday
    start: time
    length: timedelta

    def openings(self, around: datetime):
        """The openings from the day before `around` to a week after it, in order."""
        first = datetime.combine(around.date() - timedelta(days=1), self.start, tzinfo=timezone.utc)
        for offset in range(9):
            opening = first + timedelta(days=offset)
            if opening.weekday() in self.days:
                yield opening


def parse(text: str) -> Window:
    """A window from its text; ValueError saying what is wrong."""
    match = FORM.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a window like 'Mon-Fri 06:00-07:30' (UTC; days Mon..Sun)")
    first, last = DAYS.index(match[1]), DAYS.index(match[2] or match[1])
    days = frozenset((first + k) % 7 for k in range((last - first) % 7 + 1))
    start = timedelta(hours=int(match[3]), minutes=int(match[4]))
    end = timedelta(hours=int(match[5]), minutes=int(match[6]))
    length = end - start if end > start else end + timedelta(days=1) - start
    return Window(text.strip(), days, time(int(match[3]), int(match[4])), length)


@dataclass(frozen=True)
class CronWindow:
    """Opens each time the cron schedule fires (in its time zone, daylight saving followed) and stays open `length`."""

    text: str
    cron: str
    zone: str
    length: timedelta

    def openings(self, around: datetime):
        """The openings from `length` before `around` to a week after it, in order (UTC)."""
        from croniter import croniter
        start = (around - self.length).astimezone(ZoneInfo(self.zone)) - timedelta(seconds=1)
        schedule = croniter(self.cron, start)
        horizon = around + timedelta(days=8)
        while True:
            opening = schedule.get_next(datetime).astimezone(timezone.utc)
            if opening > horizon:
                return
            yield opening


DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_cron(cron: str, duration: str, zone: str = "UTC") -> CronWindow:
    """A cron window; ValueError saying what is wrong."""
    from croniter import croniter
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ValueError(f"{cron!r} is not a cron schedule of five fields (minute hour day month weekday), "
                         "e.g. '0 6 * * 1-5'")
    match = DURATION.match(duration)
    length = timedelta(days=int(match[1] or 0), hours=int(match[2] or 0), minutes=int(match[3] or 0),
                       seconds=int(match[4] or 0)) if match and duration else timedelta(0)
    if length <= timedelta(0):
        raise ValueError(f"duration {duration!r} must be a length such as 90m, 1h30m or 8h")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time zone {zone!r} is not known (an IANA name such as Europe/London)") from None
    return CronWindow(f"cron '{cron}' for {duration}" + (f" ({zone})" if zone != "UTC" else ""), cron, zone, length)


def open_window(windows: list, moment: datetime):
    """The window open at `moment`, or None."""
    return next((window for window, _ in _open(windows, moment)), None)


def closing(windows: list, moment: datetime) -> datetime | None:
    """When the windows open at `moment` have all closed again (overlapping openings chained), or None."""
    end, horizon = None, moment + timedelta(days=7)
    while end is None or end < horizon:  # a window always open chains on: say "in a week or more"
        ends = [close for _, close in _open(windows, end or moment)]
        if not ends or (end is not None and max(ends) <= end):
            return end
        end = max(ends)
    return end


def _open(windows: list, moment: datetime):
    for window in windows:
        for opening in window.openings(moment):
            if opening <= moment < opening + window.length:
                yield window, opening + window.length


def next_opening(windows: list, moment: datetime) -> datetime | None:
    """When the next of `windows` opens after `moment`."""
    return min((opening for window in windows for opening in window.openings(moment) if opening > moment),
               default=None)


def describe_wait(opening: datetime, moment: datetime) -> str:
    """e.g. 'Mon 2026-11-23 06:00 UTC (in 2 h 10 min)'."""
    minutes = math.ceil((opening - moment).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    wait = " ".join(part for part in (f"{days} d" if days else "", f"{hours} h" if hours else "",
                                      f"{minutes} min" if minutes or not (days or hours) else "") if part)
    return f"{DAYS[opening.weekday()]} {opening:%Y-%m-%d %H:%M} UTC (in {wait})"
