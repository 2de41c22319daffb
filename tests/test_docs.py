"""The README's examples run: its Python block, its first CLI examples and its overrides file."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from irgraph.cli import main
from irgraph.resolve import load_overrides

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


@pytest.fixture
def workdir(tmp_path: Path):
    """A folder laid out like the repository root (data/ linked), so examples write into tmp_path."""
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(cwd)


def test_python_api_example_runs(workdir: Path) -> None:
    (code,) = [b for b in blocks("python") if "irgraph.build(" in b]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (workdir / "out" / "records.csv").is_file()
    assert namespace["G"].number_of_nodes() > 0
    assert len(namespace["gap"]) > 0


def test_cli_examples_run(workdir: Path) -> None:
    runner = CliRunner()
    quick = next(b for b in blocks("bash") if "irgraph build data/samples -o out" in b)
    first = quick.splitlines()[0].split("&&")[-1].strip()
    assert runner.invoke(main, shlex.split(first)[1:]).exit_code == 0
    examples = next(b for b in blocks("bash") if b.lstrip().startswith("irgraph parse data/samples"))
    for line in examples.splitlines():
        cmd = line.split("#")[0].strip()
        if not cmd:
            continue
        result = runner.invoke(main, shlex.split(cmd)[1:])
        assert result.exit_code == 0, (cmd, result.output)
        assert result.output.strip(), cmd


def test_overrides_example_is_valid(workdir: Path) -> None:
    (example,) = [b for b in blocks("csv") if b.startswith("action,raw_name,target")]
    path = workdir / "overrides.csv"
    path.write_text(example, encoding="utf-8")
    ov = load_overrides(path)
    assert ov.must_link and ov.cannot_link and ov.rename
    out = CliRunner().invoke(main, ["resolve", "中金", "长江证券(上海)资产", "--overrides", str(path)]).output
    rows = dict(line.split(",")[:2] for line in out.strip().splitlines()[1:])
    assert rows["中金"] == "sec-0020"
    assert rows["长江证券(上海)资产"] != "sec-0119"
