"""The RPM, built with the real rpmbuild from a git archive, installed with the real dnf into a
simulated RHEL 9.4 host, and run from the installed files (not from this checkout)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import CONTRIB, REPO, have, needs_simhost_tools, run, simhost_create, simhost_exec, tool_env

pytestmark = [
    pytest.mark.slow,
    needs_simhost_tools,
    pytest.mark.skipif(
        not have("rpmbuild", "rpmspec", "rpm2cpio", "cpio", "unzip", "git"),
        reason="rpmbuild, rpmspec, rpm2cpio, cpio, unzip and git are needed",
    ),
]

# Stands in for what a real RHEL 9 host has installed: the sim root has no python3 packages
# (its Python is the test's own), so these names are provided by an empty package. dnf then
# really resolves the package's Requires: a misspelt one fails the install.
HOST_PROVIDES_SPEC = """\
Name: simhost-host-python
Version: 1
Release: 1
Summary: What a RHEL 9 host provides that rtkdump requires
License: MIT
BuildArch: noarch
Provides: python3 = 3.9.18
Provides: /usr/bin/python3
Provides: python3-pyyaml = 5.4.1
Provides: python3-jsonschema = 3.2.0
Provides: grubby = 8.40
Provides: systemd = 252
Provides: cronie = 1.5.7
%description
Stand-in for the RHEL 9 packages rtkdump requires.
%files
"""


def build_rpms(release: str, out: Path) -> list:
    proc = run(
        ["bash", str(CONTRIB / "rpm" / "build.sh"), release, str(out)],
        cwd=REPO,
        env=tool_env({"PYTHON": sys.executable}),
    )
    return [Path(p) for p in proc.stdout.split()]


@pytest.fixture(scope="module")
def rhel9_rpms(tmp_path_factory) -> list:
    return build_rpms("9", tmp_path_factory.mktemp("rpms9"))


def test_rhel9_rpm_metadata(rhel9_rpms):
    main = next(p for p in rhel9_rpms if p.name.startswith("rtkdump-0"))
    requires = run(["rpm", "-qpR", str(main)]).stdout.split("\n")
    for name in ("python3", "python3-pyyaml", "python3-jsonschema", "grubby", "systemd"):
        assert name in requires
    assert "bundled(python3dist(tenacity)) = 8.2.3" in run(["rpm", "-qp", "--provides", str(main)]).stdout
    dump = run(["rpm", "-qp", "--dump", str(main)]).stdout
    lines = {line.split()[0]: line.split() for line in dump.splitlines()}
    assert lines["/var/lib/rtkdump"][4] == "040700"
    flags = run(["rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\\n]", str(main)]).stdout
    assert "/etc/rtkdump/state.yaml cn\n" in flags  # %config(noreplace)
    assert run(["rpm", "-qp", "--configfiles", str(main)]).stdout.split() == ["/etc/rtkdump/state.yaml"]
    files = run(["rpm", "-qpl", str(main)]).stdout.split()
    for path in (
        "/usr/bin/rtkdump",
        "/usr/lib/systemd/system/rtkdump-apply.service",
        "/usr/lib/systemd/system/rtkdump-apply.timer",
        "/usr/lib/systemd/system/rtkdump-firstboot.service",
        "/usr/share/man/man8/rtkdump.8.gz",
        "/usr/share/bash-completion/completions/rtkdump",
        "/usr/share/rtkdump/reconciler/schemas/state-v1.schema.json",
    ):
        assert path in files
    assert not [f for f in files if "simhost" in f or "/tests/" in f]
    cron = next(p for p in rhel9_rpms if p.name.startswith("rtkdump-cron"))
    assert run(["rpm", "-qpl", str(cron)]).stdout.split() == ["/etc/cron.d/rtkdump"]


def test_rhel9_rpm_installs_with_dnf_and_plans_from_the_installed_files(rhel9_rpms, tmp_path):
    top = tmp_path / "stub"
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / "host.spec"
    spec.write_text(HOST_PROVIDES_SPEC)
    run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", str(spec)])
    repo = tmp_path / "repo"
    repo.mkdir()
    for rpm in [*rhel9_rpms, *(top / "RPMS" / "noarch").glob("*.rpm")]:
        (repo / rpm.name).write_bytes(rpm.read_bytes())
    run(["createrepo_c", "-q", str(repo)])

    root = simhost_create(tmp_path / "host")
    simhost_exec(
        root,
        [
            "dnf",
            "-y",
            "-q",
            "--installroot",
            str(root),
            f"--repofrompath=rtkdump-local,{repo.as_uri()}",
            "--setopt=rtkdump-local.gpgcheck=0",
            "install",
            "rtkdump",
            "rtkdump-cron",
        ],
    )
    assert "rtkdump-0.1.0-1.el9.noarch" in simhost_exec(root, ["rpm", "-q", "rtkdump"]).stdout
    state_dir = root / "var/lib/rtkdump"
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert (root / "etc/rtkdump/state.yaml").read_bytes() == (REPO / "states/default.yaml").read_bytes()
    assert (root / "etc/cron.d/rtkdump").is_file()

    launcher = root / "usr/bin/rtkdump"
    assert launcher.read_text().startswith("#!/usr/bin/python3 -s\n")
    # The host's Python runs the installed launcher; it must import the installed code and the
    # vendored tenacity, not this checkout's (which the test venv also has).
    probe = textwrap.dedent(f"""\
        import runpy, sys
        sys.argv = ["rtkdump", "validate", {str(root / "etc/rtkdump/state.yaml")!r}]
        try:
            runpy.run_path({str(launcher)!r}, run_name="__main__")
        except SystemExit as exc:
            assert exc.code == 0, exc.code
        import tenacity
        print(sys.modules["reconciler"].__file__)
        print(tenacity.__file__)
        """)
    where = run([sys.executable, "-c", probe]).stdout.split("\n")
    assert where[-3].startswith(str(root / "usr/share/rtkdump/reconciler/"))
    assert where[-2].startswith(str(root / "usr/share/rtkdump/vendor/tenacity/"))

    proc = simhost_exec(
        root,
        [
            sys.executable,
            str(launcher),
            "plan",
            str(root / "etc/rtkdump/state.yaml"),
            "--root",
            str(root),
            "--json",
        ],
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["release"] == "9.4" and plan["converged"] is False
    ids = [a["id"] for phase in plan["phases"] for a in phase["actions"]]
    assert "packages:install" in ids and "file:/etc/kdump.conf" in ids


def test_rhel7_rpm_vendors_every_dependency(tmp_path):
    """The RHEL 7 build carries PyYAML (pure Python), jsonschema 3.2.0 and its deps, tenacity: with
    only the standard library on sys.path (-S -s), the installed files validate and plan."""
    rpms = build_rpms("7", tmp_path / "rpms")
    main = next(p for p in rpms if p.name.startswith("rtkdump-0"))
    assert "rh-python38-python" in run(["rpm", "-qpR", str(main)]).stdout.split("\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    cpio = subprocess.run(["sh", "-c", 'rpm2cpio "$1" | cpio -idm --quiet', "sh", str(main)], cwd=tree)
    assert cpio.returncode == 0
    launcher = (tree / "usr/bin/rtkdump").read_text()
    assert "exec /opt/rh/rh-python38/root/usr/bin/python3 -s /usr/share/rtkdump/rtkdump.py" in launcher
    vendor = tree / "usr/share/rtkdump/vendor"
    assert not list(vendor.rglob("*.so")), "a noarch package must not carry compiled code"
    # bytecode for the SCL's 3.8, naming the installed paths (the launcher never writes any)
    app_dir = tree / "usr/share/rtkdump"
    sources = [p for p in app_dir.rglob("*.py") if p.name != "rtkdump.py"]
    missing = [
        str(p.relative_to(app_dir))
        for p in sources
        if not (p.parent / "__pycache__" / f"{p.stem}.cpython-38.pyc").is_file()
    ]
    assert sources and not missing, missing[:5]
    cli_pyc = (app_dir / "reconciler/__pycache__/cli.cpython-38.pyc").read_bytes()
    assert b"/usr/share/rtkdump/reconciler/cli.py" in cli_pyc
    host = simhost_create(tmp_path / "host")
    app = tree / "usr/share/rtkdump/rtkdump.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = run(
        [sys.executable, "-S", "-s", str(app), "validate", str(tree / "etc/rtkdump/state.yaml")],
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    proc = run(
        [
            sys.executable,
            "-S",
            "-s",
            str(app),
            "plan",
            str(tree / "etc/rtkdump/state.yaml"),
            "--root",
            str(host),
            "--json",
        ],
        check=False,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr


@pytest.mark.parametrize(
    "release,python,requires",
    [
        ("8", "/usr/bin/python3.12", ["python3.12", "python3.12-pyyaml"]),
        ("10", "/usr/bin/python3", ["python3", "python3-pyyaml", "python3-jsonschema"]),
    ],
)
def test_spec_per_release_requirements(release, python, requires):
    spec = str(CONTRIB / "rtkdump.spec")
    parsed = run(["rpmspec", "-P", "--define", f"rhel {release}", spec]).stdout
    reqs = [line.split(":", 1)[1].strip() for line in parsed.splitlines() if line.startswith("Requires:")]
    for name in requires:
        assert name in reqs
    assert f"%global rtkdump_python {python}" not in parsed  # resolved, not left as a macro
    assert f"echo '#!{python} -s'" in parsed
