"""Logging set-up for the scripts run by the workflow's rules."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

#: Format of every log line: time, logger (module), level, message.
LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"


def log_to_file(path: str | os.PathLike, level: int = logging.INFO) -> TextIO:
    """Send a rule script's logging records, warnings and stderr to its log.

    Parameters
    ----------
    path : path-like
        The rule's ``log`` file (``snakemake.log[0]``); truncated first.
    level : int, default logging.INFO
        Lowest level of records written.

    Returns
    -------
    TextIO
        The open log file, also installed as ``sys.stderr`` so tracebacks of
        uncaught errors land in it too. Line buffered, so a killed job still
        leaves the lines written so far.
    """
    handle = open(path, "w", buffering=1, encoding="utf-8")
    sys.stderr = handle
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=handle, force=True)
    logging.captureWarnings(True)
    return handle
