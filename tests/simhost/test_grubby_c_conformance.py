"""Replay every case recorded from the real RHEL 7 C grubby against the stand-in's C mode.

The cases are in tests/fixtures/grubby-c/cases.json, recorded by record.py next to it from grubby
8.28 + the 80 patches of grubby-8.28-26.el7 (see record.py and docs/grubby-c-conformance.md).
The real grubby ran chrooted with the layout's files at /boot and /etc; here the same files go
into a minimal simulated 7.9 host and ``{root}`` in argv becomes that host's directory.

The only normalisation: the host directory is removed from stdout and stderr (the real run had
``{root}`` = "", so a message such as ``error opening /boot/grub2/nope.cfg for read`` names the
path as the host sees it).  Exit codes, stdout, stderr and every file under /boot and /etc must
otherwise be identical, byte for byte, symlinks included.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Dict, List

import pytest
from _simhost_helpers import REPO

from simhost import grubby

DATA = json.loads((REPO / "tests/fixtures/grubby-c/cases.json").read_text())
CASES: List[Dict[str, Any]] = DATA["cases"]


def _case_id(c: Dict[str, Any]) -> str:
    return c["layout"] + ":" + " ".join(a for a in c["argv"] if not a.startswith("--config-file"))


def write_tree(root: Path, tree: Dict[str, Any]) -> None:
    for path, content in tree.items():
        p = root / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            os.symlink(content["symlink"], p)
        else:
            with open(p, "w", errors="surrogateescape", newline="") as fh:  # keep \r as it is
                fh.write(content)


def read_tree(root: Path) -> Dict[str, Any]:
    tree: Dict[str, Any] = {}
    for top in ("boot", "etc"):
        for dirpath, dirnames, filenames in os.walk(root / top):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                p = Path(dirpath) / name
                key = "/" + str(p.relative_to(root))
                if p.is_symlink():
                    tree[key] = {"symlink": os.readlink(p)}
                else:
                    with open(p, errors="surrogateescape", newline="") as fh:
                        tree[key] = fh.read()
    return tree


def replay(case: Dict[str, Any], root: Path) -> Dict[str, Any]:
    """Run one recorded case on a fresh host under root; return what the stand-in did, in the fixture's terms."""
    layout = DATA["layouts"][case["layout"]]
    (root / ".simhost").mkdir(parents=True)
    (root / ".simhost/host.json").write_text(json.dumps({"release": "7.9"}))
    (root / "etc").mkdir()
    write_tree(root, layout)
    argv = [a.replace("{root}", str(root)) for a in case["argv"]]
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("SIMHOST_ROOT")
    os.environ["SIMHOST_ROOT"] = str(root)
    try:
        rc = grubby.main(argv, out, err)
    finally:
        if old is None:
            os.environ.pop("SIMHOST_ROOT", None)
        else:
            os.environ["SIMHOST_ROOT"] = old
    after = read_tree(root)
    return {
        "rc": rc,
        "stdout": out.getvalue().replace(str(root), ""),
        "stderr": err.getvalue().replace(str(root), ""),
        "files": {
            "changed": {k: v for k, v in after.items() if layout.get(k) != v},
            "removed": sorted(k for k in layout if k not in after),
        },
    }


def test_enough_cases_were_recorded():
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_stand_in_matches_real_grubby(case, tmp_path):
    got = replay(case, tmp_path / "host")
    want = {k: case[k] for k in ("rc", "stdout", "stderr", "files")}
    assert got == want
