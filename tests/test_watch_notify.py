"""Webhook forms: Slack's {"text"} or the plain event, chosen by prefix or host; a URL is shown by its host only."""

from __future__ import annotations

import pytest

from reconciler.watch.notify import Target, event, summary


def test_the_form_follows_the_prefix_or_the_slack_host():
    assert Target("https://hooks.slack.com/services/T0/B0/secret-token").form == "slack"
    assert Target("slack:https://chat.internal/hook").form == "slack"
    assert Target("json:https://hooks.slack.com/services/T0/B0/x").form == "json"
    plain = Target("https://alerts.internal/reconciler?token=abc")
    assert plain.form == "json" and plain.shown == "json webhook on alerts.internal"
    assert "token" not in plain.shown


def test_slack_gets_one_line_of_text_and_json_gets_the_event():
    drift = event("drift_detected", account="bg", venue="bitget", symbol="SOLUSDT", setting="leverage/cross",
                  old="7", new="10", reason="the live value differs from the file", missing=None)
    assert "missing" not in drift and drift["event"] == "drift_detected" and drift["time"]
    text = Target("slack:https://chat.internal/hook").body(drift)
    assert text == {"text": "[reconciler] drift detected bg/SOLUSDT/leverage/cross: 7 -> 10 "
                            "(the live value differs from the file)"}
    assert Target("https://alerts.internal/x").body(drift) is drift
    assert summary(event("watcher_errored", reason="file: bad")) == "[reconciler] watcher errored (file: bad)"


def test_a_webhook_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="must be an http"):
        Target("ftp://example.com/hook")
