"""Execute the audit notebooks (jupytext percent files) with injected paths.

An audit notebook in ``notebooks/`` reads only files the workflow wrote. Its
cell tagged ``parameters`` holds defaults (the paths of the default run);
:func:`execute_notebook` adds a cell right after it that sets the values a
rule passes, runs every cell in a fresh kernel, and writes the executed
notebook and an HTML rendering. A failed assertion (a claim that does not
hold) or a missing input file stops the run with :class:`NotebookAuditError`,
whose message carries the notebook's own error line.

The kernel is started with the interpreter running this module
(``sys.executable -m ipykernel_launcher``), not through an installed kernel
specification, so it finds the same packages whether or not a virtual
environment is activated or a kernel was registered.
"""

from __future__ import annotations

import ast
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from letcc.atomic import atomic_path, write_text

logger = logging.getLogger(__name__)

#: Tag of the cell that holds a notebook's default parameters.
PARAMETERS_TAG = "parameters"

#: Tag of the cell this module inserts after it.
INJECTED_TAG = "injected-parameters"


class NotebookAuditError(RuntimeError):
    """An audit notebook failed: a claim does not hold or an input is missing."""


class _ThisInterpreter(KernelSpecManager):
    """Kernel specifications that all run the current Python interpreter."""

    def get_kernel_spec(self, kernel_name):
        """Return a spec for ``kernel_name`` that launches ``sys.executable``."""
        return KernelSpec(
            argv=[
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "-f",
                "{connection_file}",
            ],
            display_name=f"Python {sys.version_info.major}.{sys.version_info.minor}",
            language="python",
            resource_dir="",
        )


def inject_parameters(notebook, parameters: Mapping[str, Any]):
    """Insert a cell setting ``parameters`` right after the parameters cell.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A notebook with exactly one code cell tagged ``parameters``.
    parameters : mapping
        Name -> value; each value is written with ``repr``, so it must be a
        literal (str, int, float, bool, None, or lists and dicts of them).

    Returns
    -------
    nbformat.NotebookNode
        The same notebook, changed in place.

    Raises
    ------
    ValueError
        If no cell (or more than one) is tagged ``parameters``, or a name is
        not assigned in that cell (a misspelt parameter would otherwise be
        ignored silently), or a value's ``repr`` is not a Python literal
        (NaN, infinity, arbitrary objects).
    """
    tagged = [
        index
        for index, cell in enumerate(notebook.cells)
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
    ]
    if len(tagged) != 1:
        raise ValueError(
            f"the notebook needs exactly one cell tagged {PARAMETERS_TAG!r}, "
            f"found {len(tagged)}; tag the cell of default paths with "
            '# %% tags=["parameters"].'
        )
    index = tagged[0]
    known = _assigned_names(notebook.cells[index].source)
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ValueError(
            f"parameters {unknown} are not set in the notebook's parameters cell "
            f"(it sets {sorted(known)}); fix the names or add defaults for them."
        )

    for name, value in parameters.items():
        try:
            ast.literal_eval(repr(value))
        except (ValueError, SyntaxError):
            raise ValueError(
                f"parameter {name} = {value!r} has no Python literal form; pass a "
                "str, number, bool, None, or a list or dict of them."
            ) from None

    lines = ["# Parameters passed by the workflow (they override the defaults above)."]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = [INJECTED_TAG]
    notebook.cells.insert(index + 1, cell)
    return notebook


def execute_notebook(
    source: str | os.PathLike,
    ipynb: str | os.PathLike,
    html: str | os.PathLike,
    parameters: Mapping[str, Any],
    *,
    failed_copy: str | os.PathLike | None = None,
    timeout: int = 600,
) -> None:
    """Run an audit notebook with parameters; write it executed and as HTML.

    Parameters
    ----------
    source : path-like
        The jupytext percent-format ``.py`` file.
    ipynb, html : path-like
        Where the executed notebook and its HTML rendering go.
    parameters : mapping
        Values for the names of the notebook's parameters cell.
    failed_copy : path-like, optional
        Where to write the executed notebook, tracebacks included, when a
        cell fails (the outputs are not written then).
    timeout : int, default 600
        Seconds one cell may run.

    Raises
    ------
    NotebookAuditError
        If a cell raises; the message names the notebook and repeats the
        cell's error line (for instance the failed claim's assertion).
    ValueError
        If the parameters do not match the parameters cell.
    """
    source = Path(source)
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    inject_parameters(notebook, parameters)

    manager = KernelManager(
        kernel_name="python3", kernel_spec_manager=_ThisInterpreter()
    )
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=timeout,
        resources={"metadata": {"path": os.getcwd()}},
    )
    logger.info("executing %s with %s", source, dict(parameters))
    try:
        client.execute()
    except CellExecutionError as error:
        if failed_copy is not None:
            _write(notebook, failed_copy)
        where = f"; executed copy: {failed_copy}" if failed_copy else ""
        raise NotebookAuditError(
            f"audit notebook {source.name} failed: {error.ename}: {error.evalue}{where}"
        ) from error

    _write(notebook, ipynb)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    write_text(body, html)
    logger.info("wrote %s and %s", ipynb, html)


def _write(notebook, path):
    """Write a notebook atomically, creating its folder."""
    with atomic_path(path) as tmp:
        nbformat.write(notebook, tmp)


def _assigned_names(code: str) -> set[str]:
    """Names assigned at the top level of a cell's code."""
    names = set()
    for node in ast.parse(code).body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names
