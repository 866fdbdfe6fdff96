"""Change windows: UTC time ranges such as "Mon-Fri 06:00-07:30", whether one is open, and when the next opens."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

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


def open_window(windows: list[Window], moment: datetime) -> Window | None:
    """The window open at `moment`, or None."""
    for window in windows:
        for opening in window.openings(moment):
            if opening <= moment < opening + window.length:
                return window
    return None


def next_opening(windows: list[Window], moment: datetime) -> datetime | None:
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
