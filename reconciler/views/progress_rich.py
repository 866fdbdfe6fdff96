"""The terminal face of RunProgress: one rich bar per counter, with its rate, and the ETA and rate waits beneath."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn
from rich.text import Text


class _Live(ProgressColumn):
    """A column computed from the run's state at every refresh, so the ETA counts down during a wait."""

    def __init__(self, text):
        super().__init__()
        self._text = text

    def render(self, task) -> Text:
        return Text(self._text(task), style="cyan")


class RichDisplay:
    def __init__(self, progress, stream):
        self.progress = progress
        self.bars = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[rate]:>8}"), _Live(self._notes),
                             console=Console(file=stream), transient=True, refresh_per_second=8)
        self.tasks = [self.bars.add_task(what, total=total, rate=rate)
                      for what, _, total, rate in progress.lines()]
        self.bars.start()

    def _notes(self, task) -> str:
        """Beside the last bar: the ETA and what a rate window holds back."""
        if task.id != self.tasks[-1]:
            return ""
        from .progress import eta_text
        eta = self.progress.eta()
        parts = [eta_text(eta)] if eta is not None else []
        parts += [self.progress.waiting_text()] if self.progress.waiting_text() else []
        return "  ".join(parts)

    def update(self) -> None:
        for task, (what, done, total, rate) in zip(self.tasks, self.progress.lines()):
            self.bars.update(task, completed=done, total=total, rate=rate)

    def close(self) -> None:
        self.update()
        self.bars.stop()
