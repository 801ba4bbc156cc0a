"""Atomic file writes: a result appears complete or not at all.

Every table, figure, trace and checkpoint of the workflow is written to a
hidden temporary file beside its target and renamed over it once complete.
A job killed mid-write (Ctrl-C, SIGKILL, out of memory, power loss before the
rename) therefore leaves either the previous file or nothing, never a
truncated file that a later run or a reader could take as a result.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

#: Permissions of every written file: mkstemp makes 0600, results are shared.
MODE = 0o644


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        The target file; its folder is created if missing.

    Yields
    ------
    Path
        A hidden file in the target's folder, ending in the target's suffix
        (``savefig`` and ``np.savez`` pick their format from it). Write the
        whole content to it inside the ``with`` block.

    Notes
    -----
    On any exception, ``KeyboardInterrupt`` included, the temporary file is
    removed and ``path`` is left as it was. Leftovers of a process killed
    outright (SIGKILL) are hidden files named ``.<target>.*.tmp<suffix>``;
    the next write of the same target removes them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = f".{path.name}.", f".tmp{path.suffix}"
    for stale in path.parent.glob(f"{prefix}*{suffix}"):
        stale.unlink(missing_ok=True)

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``table`` as CSV without its index, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    logger.info("wrote %s (%d rows)", path, len(table))


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write ``text`` as UTF-8, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON with sorted keys, atomically.

    Objects JSON cannot represent (paths, numpy scalars) are written with
    ``str``.
    """
    text = json.dumps(obj, indent=2, sort_keys=True, default=str)
    write_text(text + "\n", path)


def save_figure(fig, path: str | os.PathLike, **savefig_kwargs) -> None:
    """Save a matplotlib figure atomically (format from the path's suffix)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, **savefig_kwargs)
