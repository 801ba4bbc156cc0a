"""The README's code runs as shown."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_in_the_readme_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)

    assert blocks, "the README shows no Python example"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_gives_the_test_command_that_ci_runs():
    ci = (README.parent / ".ci" / "run").read_text()

    assert "make test" in README.read_text()
    assert "make test" in ci
