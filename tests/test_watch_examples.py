"""The watch examples stay true: every metric the dashboard and the alert rules use is one the watcher serves,
the Kubernetes manifest's desired state validates, and the watch benchmark reads every account within limits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from reconciler.watch.metrics import Metrics

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "watch"
BENCH = Path(__file__).resolve().parent.parent / "bench" / "watch.py"


def served_names() -> set[str]:
    """Every series name the watcher's registry exposes, including those of label sets not seen yet."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return {family.name + suffix for family in Metrics().registry.collect()
            for suffix in suffixes.get(family.type, ("",))}


def used_names(text: str) -> set[str]:
    return set(re.findall(r"\breconciler_[a-z_]+", text))


def test_the_dashboard_and_the_alert_rules_use_only_served_metrics():
    dashboard = json.loads((EXAMPLES / "grafana-dashboard.json").read_text())
    rules = yaml.safe_load((EXAMPLES / "prometheus-rules.yaml").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = set().union(*(used_names(expr) for expr in exprs))
    assert used and used <= served_names(), used - served_names()
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {"ReconcilerOutOfSync", "ReconcilerHealFailed", "ReconcilerWatcherAbsent"} <= alerts


def test_the_kubernetes_manifest_runs_replicas_with_the_backend_from_a_secret(cli, tmp_path, monkeypatch):
    documents = {d["kind"]: d for d in yaml.safe_load_all((EXAMPLES / "kubernetes.yaml").read_text())}
    deployment = documents["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "watch"
    secret = documents["Secret"]["metadata"]["name"]
    assert {"secretRef": {"name": secret}} in container["envFrom"]
    assert "RECONCILER_BACKEND" in documents["Secret"]["stringData"]
    path = tmp_path / "desired.yaml"
    path.write_text(documents["ConfigMap"]["data"]["desired.yaml"])
    code, out, err = cli("validate", path)
    assert code == 0, err


def test_the_watch_benchmark_reads_every_account_once_per_pass_within_the_limits(tmp_path):
    run = subprocess.run([sys.executable, str(BENCH), "--accounts", "10", "--passes", "2", "--json"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "RECONCILER_LOCK_DIR": str(tmp_path / "locks")})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["accounts"] == 10 and len(result["passes"]) == 2
    for row in result["passes"]:
        assert row["accounts_read"] == 10 and row["rate_limited"] == 0 and row["accounts_drifted"] == 1
        assert row["requests"] == result["passes"][0]["requests"] > 0  # the same reads every pass
