"""Rich progress bars for the CLI (anything that may take more than 2 s shows one)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

T = TypeVar("T")
console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (stdout stays clean for results)."""
    sequence = list(items) if total is None and not hasattr(items, "__len__") else items
    with _progress() as progress:
        yield from progress.track(sequence, total=total, description=description)


@contextmanager
def fraction_bar(description: str) -> Iterator[Callable[..., None]]:
    """A bar driven by ``update(fraction, message)``, matching :class:`iasante.core.jobs.JobContext`."""
    with _progress() as progress:
        task = progress.add_task(description, total=1000)

        def update(fraction: float, message: str = "") -> None:
            progress.update(task, completed=int(fraction * 1000),
                            description=f"{description} {message}".strip())

        yield update
