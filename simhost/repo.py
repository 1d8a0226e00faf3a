"""Build (once) and cache the per-release RPM repository.

The RPMs are made with the real ``rpmbuild`` and indexed with the real
``createrepo_c``.  The cache lives in ``$SIMHOST_CACHE`` or
``$XDG_CACHE_HOME/rtkdump-simhost`` (default ``~/.cache/rtkdump-simhost``),
one directory per release keyed by a hash of everything that goes into the
packages.  A build happens in a private temporary directory that is renamed
into place, so two processes building at once are safe: the loser throws its
copy away.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List

from . import releases
from .releases import Pkg, Release

SPEC_SCHEMA = "5"  # bump to invalidate every cached repository
DATA_DIR = Path(__file__).resolve().parent / "data"


def cache_root() -> Path:
    env = os.environ.get("SIMHOST_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "rtkdump-simhost"


# -- payload contents ---------------------------------------------------------


def _sysconfig(rel: Release) -> str:
    text = (DATA_DIR / rel.sysconfig).read_text()
    if rel.sysconfig_remove_extra:
        out = []
        for line in text.splitlines(True):
            if line.startswith('KDUMP_COMMANDLINE_REMOVE="') and line.rstrip().endswith('"'):
                line = line.rstrip()[:-1] + rel.sysconfig_remove_extra + '"\n'
            out.append(line)
        text = "".join(out)
    return text


STUBS: Dict[str, str] = {
    "@kdumpctl": """#!/bin/bash
# rtkdump-simhost stub of kdumpctl.  The simulated behaviour lives in the
# simhost 'kdumpctl' and 'systemctl' stand-ins (rtkdump-simhost exec DIR -- kdumpctl ...).
exec kdumpctl "$@"
""",
    "@kexec": "#!/bin/sh\necho 'kexec (simhost stub): not a real binary' >&2\nexit 1\n",
    "@kernel-is-rt": "#!/bin/bash\n[ -e /sys/kernel/realtime ]\n",
    "@rt-setup-kdump": """#!/bin/bash
# rtkdump-simhost stub of rt-setup-kdump (the simulated behaviour is the
# 'rt-setup-kdump' stand-in of rtkdump-simhost exec).
exec rt-setup-kdump "$@"
""",
    "@60-kdump.install": """#!/usr/bin/bash
# rtkdump-simhost: kdump's kernel-install plugin.  The real one only removes
# /boot/initramfs-KVERkdump.img on `remove`; nothing happens on `add`.
COMMAND="$1"
KERNEL_VERSION="$2"
if [ "$COMMAND" = remove ]; then
    rm -f -- "${SIMHOST_ROOT:-}/boot/initramfs-${KERNEL_VERSION}kdump.img"
fi
exit 0
""",
    "@realtime-setup": "#!/bin/bash\n# realtime-setup (simhost stub): the real one sets up the realtime cgroup/irq details\nexit 0\n",
    "@realtime-setup-sysconfig": "# realtime-setup (simhost)\nSLUB_CPU_PARTIAL=off\n",
    "@system-config-kdump": "#!/bin/sh\necho 'system-config-kdump (simhost stub): no display' >&2\nexit 1\n",
    "@limits": "# realtime group limits (rt-setup)\n@realtime soft cpu unlimited\n@realtime - rtprio 99\n@realtime - memlock unlimited\n",
    "@vmlinuz": "simhost fake kernel image\n",
    "@empty": "",
}


def payload_text(rel: Release, source: str) -> str:
    if source == "@sysconfig":
        return _sysconfig(rel)
    if source.startswith("@"):
        return STUBS[source]
    return (DATA_DIR / source).read_text()


def _spec(rel: Release, pkg: Pkg, staging: Path) -> str:
    lines = [
        f"Name: {pkg.name}",
        f"Version: {pkg.version}",
        f"Release: {pkg.release}",
        f"Summary: {pkg.summary or pkg.name}",
        "License: GPLv2",
        "AutoReqProv: no",
    ]
    if pkg.arch == "noarch":
        lines.append("BuildArch: noarch")
    for p in pkg.provides:
        lines.append(f"Provides: {p}")
    for p in pkg.requires:
        lines.append(f"Requires: {p}")
    for p in pkg.recommends:
        lines.append(f"Recommends: {p}")
    lines += [
        "",
        "%description",
        f"rtkdump-simhost package {pkg.nvra} for the simulated RHEL {rel.version} host.",
        "",
        "%install",
        "mkdir -p %{buildroot}",
    ]
    if pkg.files:
        lines.append(f"cp -a {staging}/. %{{buildroot}}/")
    lines += ["", "%files"]
    for path, kind, _src in pkg.files:
        if kind == "config":
            lines.append(f"%config(noreplace) {path}")
        elif kind == "dir":
            lines.append(f"%dir {path}")
        elif kind == "exe":
            lines.append(f"%attr(0755,root,root) {path}")
        elif kind == "ghost":
            lines.append(f"%ghost {path}")
        else:
            lines.append(path)
    lines.append("")
    return "\n".join(lines)


def cache_key(rel: Release) -> str:
    h = hashlib.sha256()
    h.update(SPEC_SCHEMA.encode())
    for pkg in releases.repo_packages(rel):
        h.update(repr(pkg).encode())
        for _path, _kind, src in pkg.files:
            if src:
                h.update(payload_text(rel, src).encode())
    return h.hexdigest()[:16]


def repo_dir(rel: Release) -> Path:
    return cache_root() / f"repo-{rel.version}-{cache_key(rel)}"


def _run(argv: List[str], cwd: Path) -> None:
    proc = subprocess.run(argv, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} ... failed ({proc.returncode}):\n{proc.stdout[-4000:]}")


def _build_rpms(rel: Release, pkgs: List[Pkg], work: Path, out: Path) -> None:
    """rpmbuild every package of `pkgs` inside `work`; the .rpm files land in `out`."""
    top = work / "rpmbuild"
    specs = []
    for pkg in pkgs:
        staging = work / "staging" / pkg.name
        staging.mkdir(parents=True)
        for path, kind, src in pkg.files:
            dest = staging / path.lstrip("/")
            if kind == "dir":
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            # %ghost files must exist in the buildroot for their attributes, as kernel.spec's touch
            dest.write_text("" if kind == "ghost" else payload_text(rel, src))
            os.chmod(dest, 0o755 if kind == "exe" else 0o644)
        spec = work / f"{pkg.name}.spec"
        spec.write_text(_spec(rel, pkg, staging))
        specs.append((pkg, spec))
    defines = [
        "--define",
        f"_topdir {top}",
        "--define",
        f"_dbpath {work / 'rpmdb-unused'}",
        "--define",
        f"_tmppath {work / 'tmp'}",
        "--define",
        "debug_package %{nil}",
        "--define",
        "__os_install_post %{nil}",
        "--define",
        "_build_id_links none",
        "--define",
        "_binary_payload w2.xzdio",
        "--define",
        "_source_payload w2.xzdio",
        "--define",
        "_buildhost simhost.example.com",
    ]
    (work / "tmp").mkdir(exist_ok=True)
    for arch in ("x86_64", "noarch"):
        batch = [str(spec) for pkg, spec in specs if pkg.arch == arch]
        if not batch:
            continue
        argv = ["rpmbuild", "--quiet", "-bb", "--target", "x86_64"] + defines + batch
        _run(argv, work)
    for rpm in (top / "RPMS").rglob("*.rpm"):
        shutil.copy2(rpm, out / rpm.name)


def build_repo(rel: Release) -> Path:
    """The cached repository of ``rel``, built now if it is missing."""
    final = repo_dir(rel)
    if (final / "repodata" / "repomd.xml").is_file():
        return final
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".build-{rel.version}-", dir=str(root)))
    try:
        out = work / "repo"
        out.mkdir()
        _build_rpms(rel, releases.repo_packages(rel), work, out)
        _run(["createrepo_c", "--quiet", "--no-database", str(out)], work)
        (out / "simhost-repo.json").write_text(
            json.dumps(
                {
                    "release": rel.version,
                    "key": cache_key(rel),
                    "packages": [p.nvra for p in releases.repo_packages(rel)],
                },
                indent=1,
            )
            + "\n"
        )
        _publish(out, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _publish(out: Path, final: Path) -> None:
    try:
        os.rename(str(out), str(final))
    except OSError:
        # somebody else won the race (or a stale copy exists): keep theirs
        if not (final / "repodata" / "repomd.xml").is_file() and not (final / ".done").is_file():
            shutil.rmtree(final, ignore_errors=True)
            os.rename(str(out), str(final))


def build_kernel_rpms(rel: Release, pkgs: List[Pkg]) -> List[Path]:
    """RPMs of a kernel that is not in the release repository (install-kernel), cached like it."""
    h = hashlib.sha256()
    h.update(SPEC_SCHEMA.encode())
    for pkg in pkgs:
        h.update(repr(pkg).encode())
    final = cache_root() / f"kernel-{rel.version}-{h.hexdigest()[:16]}"
    done = final / ".done"
    if not done.is_file():
        root = cache_root()
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".kbuild-{rel.version}-", dir=str(root)))
        try:
            out = work / "out"
            out.mkdir()
            _build_rpms(rel, pkgs, work, out)
            (out / ".done").write_text("")
            _publish(out, final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return [final / p.filename for p in pkgs]


def rpm_path(rel: Release, name: str) -> Path:
    pkg = releases.find(rel, name)
    if pkg is None:
        raise KeyError(name)
    return build_repo(rel) / pkg.filename
