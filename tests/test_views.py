"""Views for people: colour only on a terminal and never with NO_COLOR; the progress line of a long apply."""

from __future__ import annotations

import io

from reconciler.plan import Change, Plan
from reconciler.views.progress import ProgressLine
from reconciler.views.style import Style
from reconciler.views.text import render_plan


class Terminal(io.StringIO):
    def isatty(self):
        return True


def plan():
    change = Change("a/BTCUSDT/leverage/cross", "a", "bitget", "BTCUSDT", "leverage", None, "cross", "5", "10")
    return Plan(changes=[change], observed={}, accounts={"a": {"venue": "bitget"}},
                estimates={"a": {"seconds": 180.0, "why": "orderly accepts 5 POST /v1/client/leverages calls per 60 s"}})


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\033[" in render_plan(plan(), Style.for_stream(Terminal()))
    assert "\033[" not in render_plan(plan(), Style.for_stream(io.StringIO()))
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in render_plan(plan(), Style.for_stream(Terminal()))


def test_plan_text_says_how_long_a_rate_limited_apply_takes():
    text = render_plan(plan())
    assert "~ BTCUSDT leverage (cross): 5 -> 10" in text
    assert "applying will take about 3 min: orderly accepts 5 POST /v1/client/leverages calls per 60 s" in text


def test_progress_line_shows_done_total_and_what_a_limit_holds_back():
    screen = Terminal()
    progress = ProgressLine(screen)
    progress.step(1, 3, "a/BTCUSDT/leverage/cross")
    progress.waiting("a", "POST /v1/client/leverages", 42.0)
    progress.step(3, 3, "a/ETHUSDT/leverage/cross")
    text = screen.getvalue()
    assert "[1/3] a/BTCUSDT/leverage/cross" in text
    assert "waiting 42 s: a rate limit on POST /v1/client/leverages" in text
    assert text.endswith("[3/3] a/ETHUSDT/leverage/cross\n")
