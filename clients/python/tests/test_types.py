"""The package's types hold: mypy --strict passes on the package, on these tests (which use
the typed replies as an application would) and on the README's examples."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    examples = []
    for number, block in enumerate(blocks):
        example = tmp_path / f"readme_{number}.py"
        # The pipeline block continues the quick start.
        example.write_text(blocks[0] + block if number == 1 else block)
        examples.append(str(example))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(ROOT / "src"), str(ROOT / "tests"), *examples],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
