"""`rtkdump-simhost install-kernel DIR KVER`: what `dnf install kernel-rt-KVER` does on the release.

The kernel package goes into the rpmdb through the real rpm (built on the fly by rpmbuild, cached
like the repositories).  Then the package's scriptlets are simulated the way each release wires
them (the kernel RPMs' own scriptlets are not run: they call tools that only exist on RHEL):

* RHEL 7 (kernel-rt %post/%posttrans -> new-kernel-pkg, rhboot/grubby rhel-7.3 @778ec42):
  ``--install``: ``grubby --add-kernel=/boot/vmlinuz-KVER --copy-default --title "$NAME (KVER)
  $VERSION" --args="root=<fstab root>" [--make-default]``: a new grub.cfg menuentry (C grubby
  copies the default entry's lines, so its args, and puts the new entry first);
  ``--make-default`` only when UPDATEDEFAULT=yes and DEFAULTKERNEL equals the package
  (/etc/sysconfig/kernel).  ``--mkinitrd``: /boot/initramfs-KVER.img.  ``--rpmposttrans``: every
  regular executable ``/etc/kernel/postinst.d/*[^~]`` and ``/etc/kernel/postinst.d/KVER/*[^~]``
  runs as ``HOOK KVER /boot/vmlinuz-KVER``; failures are ignored (new-kernel-pkg ends ``exit 0``).
* RHEL 8/9/10 (kernel-core %posttrans -> ``kernel-install add KVER /lib/modules/KVER/vmlinuz``,
  systemd 239/252/257): the plugins are ``*.install`` in /etc/kernel/install.d and
  /usr/lib/kernel/install.d merged by basename (the /etc file wins; a non-executable file, e.g. a
  symlink to /dev/null, masks the name), in ``sort -V`` order (252 ``dropindirs_sort``).  Each runs
  as ``PLUGIN add KVER ENTRY_DIR_ABS /lib/modules/KVER/vmlinuz`` with ``KERNEL_INSTALL_*`` in the
  environment; exit 77 skips the rest, another non-zero exit stops kernel-install (the package
  stays installed, dnf only warns).  The release's own plugins (20-grub.install, 50-dracut.install,
  60-kdump.install, 92-crashkernel.install) are files of the tree too, run the same way.

Every plugin or hook runs as a real program with the environment of ``rtkdump-simhost exec``
(SIMHOST_ROOT, the stand-ins first on PATH), so a hook that runs ``grubby --update-kernel=...``
edits this host's boot entries.  The working directory is DIR (a real host uses /), so a hook
writing relative paths stays inside the tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, TextIO, Tuple

from . import bootloader, repo
from .host import Host, HostError, read_grubenv, write_grubenv
from .pkg import REAL_RPM, RPMDB
from .releases import KernelName, Pkg, Release, check_kver_for_release, kernel_package
from .standin import exec_env

KERNEL_INSTALL_DIRS = ("/etc/kernel/install.d", "/usr/lib/kernel/install.d")
SKIP_REMAINING = 77


def sysconfig_kernel(host: Host) -> Dict[str, str]:
    """/etc/sysconfig/kernel as a shell would source it (KEY=value lines only)."""
    out: Dict[str, str] = {}
    for line in (host.read("/etc/sysconfig/kernel") or "").splitlines():
        m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            v = m.group(2).strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                v = v[1:-1]
            out[m.group(1)] = v
    return out


def kernel_pkgs(rel: Release, k: KernelName) -> List[Pkg]:
    owner, meta = k.packages(rel.major)
    pkgs = [kernel_package(rel, k.kver, owner, k.version, k.release)]
    if meta:
        pkgs.append(
            Pkg(
                meta,
                k.version,
                k.release,
                summary="The Linux kernel (meta package)",
                requires=(f"{owner} = {k.version}-{k.release}",),
            )
        )
    return pkgs


def _rpm(host: Host, *args: str) -> subprocess.CompletedProcess:
    argv = [REAL_RPM, "--root", str(host.root), "--define", f"_dbpath {RPMDB}"] + list(args)
    return subprocess.run(argv, capture_output=True, text=True)


def install_kernel(host: Host, kver: str, out: TextIO, err: TextIO) -> int:
    rel = host.release
    try:
        k = check_kver_for_release(rel, kver)
    except ValueError as exc:
        err.write(f"rtkdump-simhost install-kernel: {exc}\n")
        return 1
    pkgs = kernel_pkgs(rel, k)
    q = _rpm(host, "-q", pkgs[0].nvr)
    if q.returncode == 0:
        # dnf's own wording (dnf/base.py) for a package that is already there
        out.write(f"Package {pkgs[-1].nvra} is already installed.\n")
        out.write("Dependencies resolved.\nNothing to do.\nComplete!\n")
        return 0
    files = repo.build_kernel_rpms(rel, pkgs)
    proc = _rpm(host, "-i", "--nodeps", "--noscripts", "--notriggers", "--force-debian", *map(str, files))
    if proc.returncode != 0:
        err.write(proc.stdout + proc.stderr)
        return 1
    out.write("Installing:\n" + "".join(f"  {p.nvra}\n" for p in pkgs))
    owner = pkgs[0]
    if rel.major == 7:
        rc = _posttrans_rhel7(host, k, owner.name, out, err)
    else:
        rc = kernel_install_add(host, kver, f"/lib/modules/{kver}/vmlinuz", out, err)
    if rc != 0:
        # dnf/rpm report a failed %posttrans but keep the package (rpm's wording)
        err.write(f"warning: %posttrans({owner.nvra}) scriptlet failed, exit status {rc}\n")
    out.write("Complete!\n")
    return 0


# ---------------------------------------------------------------------------
# running plugins and hooks as real programs
# ---------------------------------------------------------------------------


def run_hook(
    host: Host,
    host_path: str,
    args: List[str],
    out: TextIO,
    err: TextIO,
    extra_env: Optional[Dict[str, str]] = None,
) -> int:
    env = exec_env(host)
    env.update(extra_env or {})
    try:
        proc = subprocess.run(
            [str(host.path(host_path))] + args, env=env, cwd=str(host.root), capture_output=True, text=True
        )
    except OSError as exc:
        # what sh prints for a plugin it cannot exec (bad interpreter, ...)
        err.write(f"{host_path}: {exc.strerror}\n")
        return 126
    out.write(proc.stdout)
    err.write(proc.stderr)
    return proc.returncode


def _masked_or_not_executable(host: Host, host_path: str) -> bool:
    p = host.path(host_path)
    if p.is_symlink() and os.readlink(p) == "/dev/null":
        return True  # the documented way to disable a plugin (/dev/null is not executable)
    return not (p.is_file() and os.access(p, os.X_OK))


def _version_sort(names: List[str]) -> List[str]:
    """`sort -Vu` (GNU coreutils), as kernel-install 252's dropindirs_sort."""
    proc = subprocess.run(
        ["sort", "-Vu"],
        input="".join(n + "\n" for n in names),
        stdout=subprocess.PIPE,
        text=True,
        env={"LC_ALL": "C"},
        check=True,
    )
    return [n for n in proc.stdout.split("\n") if n]


def kernel_install_plugins(host: Host) -> List[str]:
    names = []
    for d in KERNEL_INSTALL_DIRS:
        p = host.path(d)
        if p.is_dir():
            names += [c.name for c in p.iterdir() if c.name.endswith(".install") and os.path.lexists(c)]
    plugins = []
    for name in _version_sort(names):
        for d in KERNEL_INSTALL_DIRS:
            if host.exists(f"{d}/{name}"):
                if not _masked_or_not_executable(host, f"{d}/{name}"):
                    plugins.append(f"{d}/{name}")
                break
    return plugins


def kernel_install_add(host: Host, kver: str, image: str, out: TextIO, err: TextIO) -> int:
    """systemd kernel-install add KVER IMAGE (239/252: argv and environment of the shell versions)."""
    rel = host.release
    mid = (host.read("/etc/machine-id") or "").strip()
    entry_dir = f"/boot/{mid}/{kver}"
    env = {"KERNEL_INSTALL_MACHINE_ID": mid}
    if rel.systemd >= 252:
        # 252 exports these (and KERNEL_INSTALL_VERBOSE); layout "other": no /boot/<token> dir and
        # no loader/entries.srel on RHEL, so ENTRY_DIR_ABS is not created and 20-grub.install runs
        env.update(
            {
                "KERNEL_INSTALL_ENTRY_TOKEN": mid,
                "KERNEL_INSTALL_BOOT_ROOT": "/boot",
                "KERNEL_INSTALL_LAYOUT": "other",
                "KERNEL_INSTALL_INITRD_GENERATOR": "",
                "KERNEL_INSTALL_VERBOSE": "0",
            }
        )
    else:
        # 239 creates BOOT_DIR_ABS; RHEL 8's 20-grub.install removes /boot/<machine-id> again
        host.path(entry_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kernel-install.staging.", dir=str(host.path("/tmp"))) as staging:
        if rel.systemd >= 252:
            env["KERNEL_INSTALL_STAGING_AREA"] = "/tmp/" + Path(staging).name
        ret = 0
        for plugin in kernel_install_plugins(host):
            rc = run_hook(host, plugin, ["add", kver, entry_dir, image], out, err, env)
            if rc == SKIP_REMAINING:
                break
            if rc != 0:
                if rel.systemd >= 252:
                    return rc  # 252: `[ $err -ne 0 ] && exit $err`
                ret += rc  # 239 [from memory of its source]: ((ret+=$x)) and the next plugin runs
    return ret


# ---------------------------------------------------------------------------
# RHEL 7: new-kernel-pkg --install / --mkinitrd / --rpmposttrans
# ---------------------------------------------------------------------------


def _fstab_root(host: Host) -> str:
    for line in (host.read("/etc/fstab") or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and parts[1] == "/":
            return parts[0]
    m = re.search(r"(?<=root=)\S+", host.cmdline())
    return m.group(0) if m else ""


def _posttrans_rhel7(host: Host, k: KernelName, package: str, out: TextIO, err: TextIO) -> int:
    rel = host.release
    kver = k.kver
    image = f"/boot/vmlinuz-{kver}"
    host.write(f"/boot/initramfs-{kver}.img", f"simulated initramfs {kver}\n", 0o600)
    conf = sysconfig_kernel(host)
    make_default = conf.get("UPDATEDEFAULT") == "yes" and conf.get("DEFAULTKERNEL", "") == package
    title = rel.title(kver)
    add_grub_cfg_entry(host, kver, title, _fstab_root(host), make_default)
    # --rpmposttrans: files="/etc/kernel/postinst.d/*[^~] /etc/kernel/postinst.d/$version/*[^~]"
    for d in ("/etc/kernel/postinst.d", f"/etc/kernel/postinst.d/{kver}"):
        p = host.path(d)
        if not p.is_dir():
            continue
        for f in sorted(c.name for c in p.iterdir()):
            hp = f"{d}/{f}"
            if f.endswith("~") or not host.path(hp).is_file() or not os.access(host.path(hp), os.X_OK):
                continue
            run_hook(host, hp, [kver, image], out, err)
    return 0


def add_grub_cfg_entry(host: Host, kver: str, title: str, rootdev: str, make_default: bool) -> None:
    """C grubby --add-kernel --copy-default --title T --args=root=R --remove-kernel=TITLE=T."""
    path = host.path("/boot/grub2/grub.cfg")
    cfg = bootloader.GrubCfg(path)
    env = read_grubenv(host.path("/boot/grub2/grubenv"))
    idx = cfg.default_index(env)
    if not 0 <= idx < len(cfg.entries):
        idx = 0
    if not cfg.entries:
        raise HostError("grub.cfg has no menuentry to copy")
    tmpl = cfg.entries[idx]
    block = cfg.lines[tmpl.start : tmpl.end + 1]
    new: List[str] = []
    for i, line in enumerate(block):
        n = tmpl.start + i
        if i == 0:
            # only the title changes: C grubby keeps the template's --id (a known real quirk)
            line = re.sub(r"menuentry\s+'[^']*'", lambda _m: f"menuentry '{title}'", line, count=1)
        elif n == tmpl.kernel_line:
            indent, el = bootloader.split_elements(line)
            el[1][0] = f"/vmlinuz-{kver}"
            for e in el[2:]:
                if e[0].startswith("root="):
                    e[0] = f"root={rootdev}"
            line = indent + "".join(a + b for a, b in el)
        elif n == tmpl.initrd_line:
            indent, el = bootloader.split_elements(line)
            el[1:] = [[f"/initramfs-{kver}.img", ""]]
            line = indent + "".join(a + b for a, b in el)
        new.append(line)
    # --remove-kernel=TITLE=<title>: an entry of the same title goes first
    for old in reversed(cfg.entries):
        if old.title == title:
            del cfg.lines[old.start : old.end + 1]
    cfg = _reparse(cfg)
    first = cfg.entries[0].start if cfg.entries else len(cfg.lines)
    cfg.lines[first:first] = new
    cfg.save()
    if make_default:
        env["saved_entry"] = title
        write_grubenv(host.path("/boot/grub2/grubenv"), env)


def _reparse(cfg: bootloader.GrubCfg) -> bootloader.GrubCfg:
    cfg.save()
    return bootloader.GrubCfg(cfg.path)


# ---------------------------------------------------------------------------
# the release's own kernel-install plugins (called through the simhost-plugin stand-in)
# ---------------------------------------------------------------------------


def _os_release(host: Host) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for line in (host.read("/etc/os-release") or "").splitlines():
        m = re.match(r"^([A-Z_]+)=(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip().strip('"')
    return out


def new_entry_options(host: Host) -> str:
    """What 20-grub.install puts on the `options` line of a new BLS entry."""
    rel = host.release
    if rel.new_entry_options == "kernelopts":
        return "$kernelopts"  # rhel-8.8.0 20-grub.install: `options \\$kernelopts` in the heredoc
    for f in ("/etc/kernel/cmdline", "/usr/lib/kernel/cmdline"):
        text = host.read(f)
        if text is not None:
            # read -r -d '' -a BOOT_OPTIONS: every whitespace-separated word of the file
            return " ".join(text.split())
    words = [w for w in host.cmdline().split() if not w.startswith(("initrd=", "BOOT_IMAGE="))]
    return " ".join(words)


def becomes_default(rel: Release, kver: str, conf: Dict[str, str]) -> bool:
    """Whether 20-grub.install sets saved_entry to the new entry (grub2-get-kernel-settings vars)."""
    if conf.get("UPDATEDEFAULT") != "yes":  # GRUB_UPDATE_DEFAULT_KERNEL
        return False
    to_debug = conf.get("DEFAULTDEBUG") == "yes"  # GRUB_DEFAULT_TO_DEBUG
    if rel.default_rule == "no-plus":
        # rhel-8.8.0: [[ "$KERNEL_VERSION" == *\+* ]] && [ "x$GRUB_DEFAULT_TO_DEBUG" != "xtrue" ]
        return "+" not in kver or to_debug
    if rel.default_rule == "no-plus-debug":
        # f2e9faa (2023-02): [[ "$KERNEL_VERSION" == *\+debug* ]] && ... != "xtrue"
        return "+debug" not in kver or to_debug
    # b9c80be / patch 0323: GRUB_DEFAULT_KERNEL_TYPE=${DEFAULTKERNEL/-core/}; when it is not
    # "kernel", GRUB_NON_STANDARD_KERNEL=true and the type loses its "kernel-" prefix
    ktype = conf.get("DEFAULTKERNEL", "").replace("-core", "", 1)
    non_standard = ktype != "kernel"
    if non_standard:
        ktype = ktype.replace("kernel-", "", 1)
    if non_standard and ktype not in kver:
        return False
    if not non_standard and re.search(r"64k|auto|rt|uki", kver):
        return False
    if "debug" in kver and not to_debug:
        return False
    return True


def grub_install_add(host: Host, kver: str, entry_dir: str, image: str) -> int:
    """20-grub.install add (grub2 dist-git rhel-8.8.0 / rhel-9.4.0 / rhel-10-main)."""
    rel = host.release
    mid = os.environ.get("KERNEL_INSTALL_MACHINE_ID", "")
    if not mid:
        return 0
    if rel.major == 8:
        parent = host.path(entry_dir.rsplit("/", 1)[0])
        if parent.is_dir() and parent != host.path("/boot"):
            shutil.rmtree(parent, ignore_errors=True)
    elif host.path(entry_dir).is_dir():
        return 0  # "If ${BOOT_DIR_ABS} exists, some other boot loader is active."
    kdir = image.rsplit("/", 1)[0] or "/"
    if kdir != "/boot":
        for src, dst in (
            (image, f"/boot/vmlinuz-{kver}"),
            (f"{kdir}/System.map", f"/boot/System.map-{kver}"),
            (f"{kdir}/config", f"/boot/config-{kver}"),
        ):
            text = host.read(src)
            if text is not None:
                host.write(dst, text, 0o755 if dst.startswith("/boot/vmlinuz") else 0o644)
    osr = _os_release(host)
    debugname = debugid = flavor = ""
    if "+" in kver:
        flavor = "-" + kver.rsplit("+", 1)[1]
        if flavor == "-debug":
            debugname, debugid = " with debugging", "-debug"
    lines = [
        f"title {osr.get('NAME', '')} ({kver}) {osr.get('VERSION', '')}{debugname}",
        f"version {kver}{debugid}",
        f"linux /vmlinuz-{kver}",
        f"initrd /initramfs-{kver}.img",
        f"options {new_entry_options(host)}",
    ]
    if rel.major == 8:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        lines.append(f"id {osr.get('ID', 'rhel')}-{stamp}-{kver}")
    lines += [
        "grub_users $grub_users",
        "grub_arg --unrestricted",
        f"grub_class {'kernel' + flavor if rel.major == 8 else osr.get('ID', 'rhel')}",
    ]
    bls_id = f"{mid}-{kver}"
    host.write(f"/boot/loader/entries/{bls_id}.conf", "\n".join(lines) + "\n")
    if becomes_default(rel, kver, sysconfig_kernel(host)):
        env_path = host.path("/boot/grub2/grubenv")
        env = read_grubenv(env_path)
        env["saved_entry"] = bls_id  # grub2-editenv - set saved_entry=...
        write_grubenv(env_path, env)
    return 0


def dracut_install_add(host: Host, kver: str) -> int:
    """50-dracut.install add: the initramfs (content simulated)."""
    host.write(f"/boot/initramfs-{kver}.img", f"simulated initramfs {kver}\n", 0o600)
    return 0


PLUGIN_FILES: Tuple[Tuple[str, str], ...] = (
    ("20-grub.install", "grub2-tools"),
    ("50-dracut.install", "dracut"),
)


def plugin_wrapper(name: str, owner: str) -> str:
    return (
        "#!/bin/sh\n"
        f"# rtkdump-simhost: the simulated {owner} kernel-install plugin {name}\n"
        f'exec "${{SIMHOST_ROOT:?not inside rtkdump-simhost exec}}/.simhost/bin/simhost-plugin" {name} "$@"\n'
    )


def plugin_main(argv: List[str], err: TextIO) -> int:
    """simhost-plugin NAME add|remove KVER ENTRY_DIR [IMAGE]."""
    from .host import find_root

    if len(argv) < 3:
        err.write("usage: simhost-plugin NAME COMMAND KERNEL_VERSION [ENTRY_DIR [IMAGE]]\n")
        return 2
    name, command, kver = argv[0], argv[1], argv[2]
    entry_dir = argv[3] if len(argv) > 3 else ""
    image = argv[4] if len(argv) > 4 else f"/boot/vmlinuz-{kver}"
    host = Host(find_root(None))
    if command != "add":
        return 0  # remove is not simulated
    if name == "20-grub.install":
        return grub_install_add(host, kver, entry_dir, image)
    if name == "50-dracut.install":
        return dracut_install_add(host, kver)
    err.write(f"simhost-plugin: unknown plugin {name}\n")
    return 2
