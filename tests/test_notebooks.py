"""Audit notebooks: parameter injection, execution, and the failures they report."""

from pathlib import Path

import jupytext
import nbformat
import pytest

from letcc.notebooks import NotebookAuditError, execute_notebook, inject_parameters

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))

PASSING = """\
# %%
import math

# %% tags=["parameters"]
value = 1.0
label = "default"

# %%
assert math.isfinite(value) and value > 0, f"Claim demo does not hold: value = {value}"
print(label, value * 2)
"""


def write(tmp_path, text, name="demo.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_injected_cell_follows_the_parameters_cell():
    notebook = jupytext.reads(PASSING, fmt="py:percent")

    inject_parameters(notebook, {"value": 2.5, "label": "x"})

    sources = [cell.source for cell in notebook.cells]
    index = next(i for i, s in enumerate(sources) if s.startswith("value = 1.0"))
    injected = notebook.cells[index + 1]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert "value = 2.5" in injected.source and "label = 'x'" in injected.source


def test_an_unknown_parameter_is_refused_naming_it():
    notebook = jupytext.reads(PASSING, fmt="py:percent")

    with pytest.raises(ValueError, match=r"parameters \['valeu'\] are not set"):
        inject_parameters(notebook, {"valeu": 2.0})


def test_a_value_without_a_literal_form_is_refused():
    notebook = jupytext.reads(PASSING, fmt="py:percent")

    with pytest.raises(ValueError, match="value = nan has no Python literal form"):
        inject_parameters(notebook, {"value": float("nan")})


def test_a_notebook_without_a_parameters_cell_is_refused():
    notebook = jupytext.reads("# %%\nx = 1\n", fmt="py:percent")

    with pytest.raises(ValueError, match="exactly one cell tagged 'parameters'"):
        inject_parameters(notebook, {"x": 2})


def test_execution_writes_the_notebook_and_its_html(tmp_path):
    source = write(tmp_path, PASSING)

    execute_notebook(
        source, tmp_path / "out.ipynb", tmp_path / "out.html", {"label": "run"}
    )

    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    printed = [
        output.get("text", "")
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    assert "run 2.0\n" in printed
    assert "<html" in (tmp_path / "out.html").read_text()


def test_a_failed_claim_fails_with_its_message_and_keeps_a_copy(tmp_path):
    source = write(tmp_path, PASSING)

    with pytest.raises(NotebookAuditError) as error:
        execute_notebook(
            source,
            tmp_path / "out.ipynb",
            tmp_path / "out.html",
            {"value": -1.0},
            failed_copy=tmp_path / "failed.ipynb",
        )

    message = str(error.value)
    assert "demo.py" in message
    assert "AssertionError: Claim demo does not hold: value = -1.0" in message
    assert (tmp_path / "failed.ipynb").exists()
    assert not (tmp_path / "out.ipynb").exists()


def test_an_audit_of_missing_results_names_the_missing_file(tmp_path):
    missing = tmp_path / "nowhere" / "noiseless.csv"

    with pytest.raises(NotebookAuditError) as error:
        execute_notebook(
            ROOT / "notebooks" / "theory_rates.py",
            tmp_path / "out.ipynb",
            tmp_path / "out.html",
            {"noiseless": str(missing)},
        )

    message = str(error.value)
    assert "FileNotFoundError" in message
    assert f"noiseless = '{missing}' does not exist" in message


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_audit_notebook_has_one_parameters_cell_of_paths(path):
    notebook = jupytext.read(path)

    tagged = [
        cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(tagged) == 1
    assert "claims_csv" in tagged[0].source
