"""A job written against the public API, checked by `mypy --strict` (tests/test_typed_api.py): no Any leaks out."""

from __future__ import annotations

import asyncio

import reconciler


def shown(plan: reconciler.Plan) -> None:
    print(len(plan.changes), "items")


async def job(path: str) -> int:
    try:
        state = reconciler.load(path)
        planned: reconciler.Plan = await reconciler.plan(state, accounts=["bg"])
        shown(planned)
        report = await reconciler.reconcile(state, on_plan=shown, confirm=lambda plan: bool(plan.changes))
    except reconciler.ConfigError as exc:
        print("\n".join(exc.messages))
        return 1
    except reconciler.ReconcilerError as exc:
        print(exc)
        return 1
    if isinstance(report, reconciler.NotConfirmed):
        return report.exit_code
    again: reconciler.ApplyReport = await reconciler.apply(planned, state, journal_path=None)
    return report.exit_code or again.exit_code


if __name__ == "__main__":
    raise SystemExit(asyncio.run(job("desired.yaml")))
