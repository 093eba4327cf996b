"""A rich progress bar on stderr, shown only when asked or when stderr is a terminal."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


def wants_progress(progress: bool | None) -> bool:
    """`progress` if given, else whether stderr is a terminal."""
    return sys.stderr.isatty() if progress is None else progress


@contextlib.contextmanager
def progress_bar(progress: bool | None, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Yield `update(done)`; it draws a bar of `total` units on stderr, or does nothing when progress is off."""
    if not wants_progress(progress):
        yield lambda done: None
        return
    from rich.console import Console  # here: a load that shows no bar (a script, a pipe) does not import rich
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    # drawn at each update, with no refresh thread: a load may fork a second process, which is safe only
    # while this process runs a single thread
    with Progress(*columns, console=Console(stderr=True), auto_refresh=False) as bar:
        task = bar.add_task(label, total=max(total, 1))

        def update(done: int) -> None:
            bar.update(task, completed=done)
            bar.refresh()

        yield update
        bar.update(task, completed=max(total, 1))
        bar.refresh()
