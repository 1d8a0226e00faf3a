"""reconciler.facts.bls against the real grubby-bls, recorded in tests/fixtures/bls/*.json.

Each fixture holds one BLS tree (entry files, grubenv, whether /boot is a
separate mount) and what three grubby-bls revisions printed for it
(record_grubby_bls.py, not run here).  For every (tree, revision) the
rendered text must equal the recorded stdout byte for byte, and
bls_boot_entries() must equal what the existing parsers in
reconciler.facts.boot make of the recorded output.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from reconciler.facts import bls, boot
from reconciler.facts.model import BootLoader, ParseError

CASES_DIR = Path(__file__).parent / "fixtures" / "bls"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))


def _load() -> List[Tuple[str, Dict[str, Any], str]]:
    out = []
    for path in CASE_FILES:
        case = json.loads(path.read_text(encoding="utf-8"))
        for rev in case["recorded"]:
            out.append((f"{path.stem}@{rev}", case, rev))
    return out


RECORDINGS = _load()


def _inputs(case: Dict[str, Any]) -> Tuple[Dict[str, str], Any, bool]:
    return case["entries"], case["grubenv"], case["boot_is_separate_mount"]


def test_corpus_is_there() -> None:
    # every tree recorded with every revision; the 9.4 RT, 8.10 $kernelopts and 50-entry trees among them
    assert len(CASE_FILES) >= 25
    names = {p.stem for p in CASE_FILES}
    assert {
        "el9.4-rt",
        "el9.4-rt-debug",
        "el8.10-rt",
        "fifty",
        "el9.4-rt.saved-dangling",
        "el9.4-rt.no-grubenv",
    } <= names
    assert all(set(json.loads(p.read_text())["recorded"]) == set(bls.FLAVORS) for p in CASE_FILES)


@pytest.mark.parametrize("case,rev", [(c, r) for _, c, r in RECORDINGS], ids=[i for i, _, _ in RECORDINGS])
def test_rendered_text_is_grubby_bls_output(case: Dict[str, Any], rev: str) -> None:
    entries, env, separate = _inputs(case)
    flavor = bls.FLAVORS[rev]
    rec = case["recorded"][rev]
    assert rec["info=ALL"]["exit_code"] == 0
    assert bls.render_info_all(entries, env, separate, flavor) == rec["info=ALL"]["stdout"]
    assert bls.render_default_kernel(entries, env, separate, flavor) == rec["default-kernel"]["stdout"]
    assert bls.render_default_index(entries, env, flavor) == rec["default-index"]["stdout"]


@pytest.mark.parametrize("case,rev", [(c, r) for _, c, r in RECORDINGS], ids=[i for i, _, _ in RECORDINGS])
def test_boot_entries_equal_the_parsed_real_output(case: Dict[str, Any], rev: str) -> None:
    entries, env, separate = _inputs(case)
    flavor = bls.FLAVORS[rev]
    rec = case["recorded"][rev]
    try:
        expected = BootLoader(
            style="bls",
            entries=boot.parse_grubby_info(rec["info=ALL"]["stdout"]),
            default_kernel=boot.parse_grubby_default_kernel(rec["default-kernel"]["stdout"]),
        )
    except ParseError as exc:  # the parsers reject this real output: so must the reader
        with pytest.raises(ParseError, match=re.escape(str(exc))):
            bls.bls_boot_entries(entries, env, separate, flavor)
        return
    assert bls.bls_boot_entries(entries, env, separate, flavor) == expected
    assert bls.bls_default_index(entries, env, flavor) == boot.parse_grubby_default_index(
        rec["default-index"]["stdout"]
    )


def test_semantics_seen_in_the_recordings() -> None:
    """The behaviour the integrator relies on, spelled out on the 9.4 RT and 8.10 trees."""
    case = json.loads((CASES_DIR / "el9.4-rt.json").read_text())
    entries, env, _ = _inputs(case)
    loader = bls.bls_boot_entries(entries, env, True)
    assert [e.release for e in loader.entries] == [
        "5.14.0-427.20.1.el9_4.x86_64+rt",
        "5.14.0-427.20.1.el9_4.x86_64",
        "0-rescue-3f1c2a6e8b9d4c7fa0e1b2c3d4e5f607",
    ]
    assert loader.entries[0].args[-1] == "$tuned_params"  # literal since 2b59d13
    assert loader.entries[0].initrds[-1] == "$tuned_initrd"
    old = bls.bls_boot_entries(entries, env, True, bls.GRUBBY_BLS_EXPAND_ALL_VARS)
    assert "$tuned_params" not in old.entries[0].args and "nohz_full=2-3" in old.entries[0].args
    assert loader.default_kernel == "/boot/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt"
    assert (
        bls.bls_boot_entries(entries, env, False).entries[0].kernel
        == "/vmlinuz-5.14.0-427.20.1.el9_4.x86_64+rt"
    )

    dangling = json.loads((CASES_DIR / "el9.4-rt.saved-dangling.json").read_text())
    entries, env, _ = _inputs(dangling)
    assert bls.bls_boot_entries(entries, env, True).default_kernel == loader.entries[0].kernel  # index 0's
    assert bls.bls_default_index(entries, env) is None  # an empty line

    el8 = json.loads((CASES_DIR / "el8.10-rt.json").read_text())
    entries, env, _ = _inputs(el8)
    e0 = bls.bls_boot_entries(entries, env, True).entries[0]
    assert (
        "crashkernel=auto" in e0.args
        and e0.root == "/dev/mapper/rhel-root"
        and e0.args[-1] == "$tuned_params"
    )


# --- the version sorts against the real tools ---------------------------------
def _names(seed: int, count: int) -> List[str]:
    rng = random.Random(seed)
    alphabet = "0123456789.-_~+abcrtxZ^"
    parts = [
        "5.14.0-427.20.1.el9_4.x86_64",
        "4.18.0-553.rt7.342.el8_10",
        "0-rescue",
        "debug",
        "+rt",
        "~custom",
    ]
    out = set()
    while len(out) < count:
        if rng.random() < 0.5:
            s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        else:
            s = "-".join(
                rng.choice(parts) + rng.choice(["", "1", "01", "10", ".2", "a"])
                for _ in range(rng.randint(1, 3))
            )
        out.add(s)
    return sorted(out)


@pytest.mark.skipif(shutil.which("sort") is None, reason="needs GNU sort")
@pytest.mark.parametrize("reverse", [False, True])
def test_sort_v_matches_gnu_sort(reverse: bool) -> None:
    names = _names(12, 600) + [
        ".",
        "..",
        ".a",
        "a.tar.gz",
        "a.tar",
        "a~",
        "a",
        "a1",
        "a01",
        "a001",
        "",
        "1.0",
        "1.00",
    ]
    args = ["sort", "-V"] + (["-r"] if reverse else [])
    real = subprocess.run(
        args, input="\n".join(names) + "\n", capture_output=True, text=True, env={"LC_ALL": "C"}, check=True
    ).stdout.split("\n")[:-1]
    assert bls.sort_v(names, reverse=reverse) == real


def test_rpmvercmp_known_answers() -> None:
    # rpm's own test table (tests/rpmvercmp.at), a selection
    for a, b, want in [
        ("1.0", "1.0", 0),
        ("1.0", "2.0", -1),
        ("2.0.1", "2.0", 1),
        ("2.0.1a", "2.0.1", 1),
        ("5.5p1", "5.5p10", -1),
        ("10xyz", "10.1xyz", -1),
        ("xyz10", "xyz10.1", -1),
        ("1.0aa", "1.0a", 1),
        ("10", "9", 1),
        ("1.0~rc1", "1.0", -1),
        ("1.0~rc1~git123", "1.0~rc1", -1),
        ("1.0^", "1.0", 1),
        ("1.0^git1", "1.0^git2", -1),
        ("1.0^git1~pre", "1.0^git1", -1),
        ("6.0.rc1", "6.0", 1),
        ("1b.fc17", "1b.fc17", 0),
        ("a", "a", 0),
        ("20101121", "20101122", -1),
        ("2_0", "2_0", 0),
        ("2.0", "2_0", 0),
        ("1.1.α", "1.1", 0),
    ]:
        assert bls.rpmvercmp(a, b) == want, (a, b)
        assert bls.rpmvercmp(b, a) == -want, (b, a)


def test_rpm_sort_matches_the_recorded_real_rpm_sort() -> None:
    rec = json.loads((CASES_DIR / "sort" / "rpm-sort.json").read_text())
    assert bls.rpm_sort(rec["input"]) == rec["output"]


def test_entry_order_rpm_sort_puts_debug_names_first() -> None:
    # rpm-sort splits at the last two '-': "...+rt-debug" gets name "<mid>-5.14.0" > "<mid>"
    mid = "m"
    names = [
        f"{mid}-5.14.0-427.20.1.el9_4.x86_64+rt",
        f"{mid}-5.14.0-427.20.1.el9_4.x86_64+rt-debug",
        f"{mid}-0-rescue",
    ]
    assert bls.bls_entry_order(names, bls.GRUBBY_BLS_RPM_SORT)[0].endswith("+rt-debug")
    assert bls.bls_entry_order(names, bls.GRUBBY_BLS_SORT_V)[-1] == f"{mid}-0-rescue"


GRUBBY_GIT = Path("/work/.mirror/fedora-riscv+grubby/repo")


@pytest.mark.skipif(
    not GRUBBY_GIT.is_dir(), reason="needs the rpms/grubby mirror (github:fedora-riscv/grubby)"
)
def test_flavor_of_script_recognises_the_recorded_revisions() -> None:
    def script(rev: str) -> str:
        return subprocess.run(
            ["git", f"--git-dir={GRUBBY_GIT}", "show", f"{rev}:grubby-bls"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    for rev, flavor in bls.FLAVORS.items():
        assert bls.flavor_of_script(script(rev)) is flavor
    assert bls.flavor_of_script(script("77a8c0b")) is bls.GRUBBY_BLS_EXPAND_ALL_VARS  # same read path
    assert bls.flavor_of_script(script("9baffd0")) is None  # rpm-sort errors not yet silenced: unknown
    patched = script("68f872a").replace("sort -Vr", "sort -V -r")
    assert bls.flavor_of_script(patched) is None


def test_flavor_of_script_rejects_other_text() -> None:
    assert bls.flavor_of_script("#!/bin/bash\necho hi\n") is None
    assert bls.flavor_of_script("") is None
