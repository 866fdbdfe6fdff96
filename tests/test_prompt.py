"""`apply FILE` on a terminal asks for `yes` and applies only after it (driven through a pseudo-terminal)."""

from __future__ import annotations

import os

import test_bitget_e2e as bitget
from terminal import at_the_prompt, finish


def apply_on_a_terminal(path, answer: str, cwd, while_waiting=None) -> tuple[int, str]:
    """Run `apply FILE` on a pseudo-terminal, answer the prompt; `while_waiting()` runs while it waits."""
    process, primary, seen = at_the_prompt(path, cwd)
    if while_waiting:
        while_waiting()
    os.write(primary, answer.encode() + b"\n")
    return finish(process, primary, seen)


def test_yes_applies(start_sim, tmp_path):
    sim = start_sim(bitget.world())
    code, text = apply_on_a_terminal(bitget.config(tmp_path, sim.url), "yes", tmp_path)
    assert code == 3, text
    assert "Plan: 7 to change" in text and "Apply: 7 applied" in text
    assert len([c for c in sim.calls("bitget") if c["method"] == "POST"]) == 5


def test_anything_but_yes_sends_nothing(start_sim, tmp_path):
    sim = start_sim(bitget.world())
    code, text = apply_on_a_terminal(bitget.config(tmp_path, sim.url), "y", tmp_path)
    assert code == 1 and "Apply cancelled; nothing was sent." in text
    assert [c for c in sim.calls("bitget") if c["method"] == "POST"] == []
