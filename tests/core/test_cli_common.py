"""The shared contract-CSV writer: exact columns, whole-or-nothing files, exit 2 naming each failed input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from iasante.core.cli_common import write_rows_then_errors


def test_rows_written_with_exact_columns_and_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "preds.csv"
    with pytest.raises(typer.Exit) as stopped:
        write_rows_then_errors([{"input": "a.png", "score": 0.5}], ["input", "score"], out, ["b.png: not an image"])
    assert stopped.value.exit_code == 2
    assert out.read_text() == "input,score\na.png,0.5\n"
    assert "error: b.png: not an image" in capsys.readouterr().err


def test_a_failure_while_writing_keeps_the_earlier_file(tmp_path: Path) -> None:
    out = tmp_path / "preds.csv"
    out.write_text("input,score\nold.png,0.9\n")

    def rows() -> Iterator[dict[str, object]]:
        yield {"input": "new.png", "score": 0.1}
        raise RuntimeError("model crashed mid-batch")

    with pytest.raises(RuntimeError):
        write_rows_then_errors(rows(), ["input", "score"], out, [])
    assert out.read_text() == "input,score\nold.png,0.9\n"
    assert [p.name for p in tmp_path.iterdir()] == ["preds.csv"]
