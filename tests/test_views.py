"""Views for people: colour only on a terminal and never with NO_COLOR (progress: tests/test_progress.py)."""

from __future__ import annotations

import io

from reconciler.executor import ApplyReport, Outcome
from reconciler.plan import Change, Plan
from reconciler.views.markdown import render_markdown
from reconciler.views.style import Style
from reconciler.views.text import render_plan, render_report


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


def test_an_empty_no_color_does_not_turn_colour_off(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: set and not empty
    assert "\033[" in render_plan(plan(), Style.for_stream(Terminal()))


def unread_plan() -> Plan:
    return Plan(changes=[], observed={}, in_sync=["b/BTCUSDT/leverage/cross"],
                accounts={"a": {"venue": "okx"}, "b": {"venue": "bitget"}},
                errors={"a": "a (okx): venue error: cannot connect: refused"})


def test_an_account_that_could_not_be_read_is_said_first_and_never_shown_as_holding():
    text = render_plan(unread_plan())
    assert text.startswith("Could not read 1 account (a): nothing is known about its settings")
    assert "No changes" not in text and "Everything in the file holds" not in text
    assert "could not be read: nothing is known about this account" in text
    assert text.rstrip().endswith("Plan: 0 to change, 0 blocked, 0 conflicts, 1 in sync in the accounts read. "
                                  "1 account could not be read: nothing is known about it.")


def test_the_markdown_comment_says_first_which_accounts_could_not_be_read():
    text = render_markdown(unread_plan())
    first = text.split("\n\n")[1]
    assert "Could not read 1 account: `a`" in first and "Nothing is known about its settings" in first
    assert "Everything in the file holds" not in text and "Nothing to change." in text  # b was read and holds
    assert "**Could not be read:** a (okx): venue error: cannot connect: refused." in text


def report(outcomes: dict[str, str], errors=None, remaining=()) -> ApplyReport:
    changes = [Change(f"a/S{i}/leverage/cross", "a", "bitget", f"S{i}", "leverage", None, "cross", "5", "10",
                      status=result if result in ("blocked", "conflict") else "change")
               for i, result in enumerate(outcomes.values())]
    result = ApplyReport(plan=Plan(changes=changes, observed={}),
                         outcomes={c.id: Outcome(c.id, r, None if r == "applied" else "why")
                                   for c, r in zip(changes, outcomes.values())},
                         account_errors=errors or {})
    result.after = Plan(changes=[c for c in changes if c.id in remaining], observed={})
    return result


def test_the_apply_summary_counts_skipped_on_its_own():
    text = render_report(report({"x": "applied", "y": "failed", "z": "skipped", "w": "skipped"}))
    assert "Apply: 1 applied, 1 failed, 0 blocked, 0 conflicts, 2 skipped" in text
    assert "a person must act" not in text  # nothing blocked or conflicting remains


def test_the_apply_summary_names_unread_accounts_first_and_asks_a_person_only_for_what_remains():
    text = render_report(report({"x": "blocked"}, errors={"b": "b (okx): venue error: cannot connect"},
                                remaining=("a/S0/leverage/cross",)))
    assert text.startswith("Could not read 1 account (b): nothing is known about its settings")
    assert "Apply: 0 applied, 0 failed, 1 blocked, 0 conflicts, 0 skipped (waiting on a change that was not " \
           "applied), 1 account not read." in text
    assert "Verified: 1 blocked and 0 conflicting items remain; a person must act on them" in text


def test_every_view_of_a_plan_with_an_unreachable_account_says_so(start_sim, cli, tmp_path):
    import test_bitget_e2e as bitget
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    text = path.read_text()
    path.write_text(text + text.split("accounts:\n")[1].replace("  bg:", "  down:", 1).replace(
        sim.url, "http://127.0.0.9:1"))  # nothing listens there; an address of its own, so no other test's run
    # (watch and apply tests reach 127.0.0.1:1 with the same Bitget key) holds its host-wide account lock
    code, out, err = cli("plan", path, "--out", tmp_path / "plan.json")
    assert code == 1 and "down (bitget)" in err
    assert out.startswith("Could not read 1 account (down)") and "Everything in the file holds" not in out
    code, markdown, _ = cli("show", tmp_path / "plan.json", "--format", "markdown")
    assert "Could not read 1 account: `down`" in markdown.split("\n\n")[1]
    code, preview, _ = cli("apply", path, "--auto-approve")  # the preview before the prompt is the text plan
    assert code == 1 and preview.startswith("Could not read 1 account (down)")
