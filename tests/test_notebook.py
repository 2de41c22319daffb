"""The walkthrough notebook runs top to bottom on the bundled samples (so it cannot rot)."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]


def test_walkthrough_notebook_runs(tmp_path: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "walkthrough.ipynb", as_version=4)
    # run in a copy of the layout so the notebook's `out/` lands in tmp_path, not in the repo
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                      for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "243 attendee rows" in outputs
    assert "institutions; peers:" in outputs
    assert (tmp_path / "out" / "explorer.html").is_file()
