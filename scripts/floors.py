"""Print pip constraints that pin every dependency in pyproject.toml to its declared floor
(a floor given as X.Y: the newest X.Y.z release, as ">=X.Y" admits it when X.Y.0 is absent).

    python3 scripts/floors.py > floors.txt && pip install -c floors.txt -e '.[dev]'

``./scripts/test`` runs part of the suite on such an install, so a floor we declare is one
the code works with (a floor only stays true if something fails when it stops being true).
Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def floors(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        wanted.extend(extra)
    pins = []
    for requirement in wanted:
        match = FLOOR.match(requirement.split(";")[0])
        if match is None:
            raise SystemExit(f"cannot read the requirement {requirement!r}")
        name, spec = match.groups()
        lowest = [part.strip()[2:] for part in spec.split(",") if part.strip().startswith(">=")]
        if not lowest:
            raise SystemExit(f"{name} declares no floor (>=): give it one in pyproject.toml")
        floor = lowest[0]
        # ">=2.3" admits 2.3.1 when there never was a 2.3.0: the floor's own series then.
        pins.append(f"{name}=={floor}" if floor.count(".") >= 2 else f"{name}=={floor}.*")
    return pins


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    sys.stdout.write("".join(f"{pin}\n" for pin in floors(root / "pyproject.toml")))
