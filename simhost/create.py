"""`rtkdump-simhost create`: lay out a freshly installed RHEL for Real Time host."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import List, Optional

from . import kernel, releases, repo, sysfiles
from .host import Host, HostError, write_atomic, write_grubenv
from .releases import Release

DEFAULT_PRODUCT = "PowerEdge R650"
DEFAULT_VENDOR = "Dell Inc."
DEFAULT_BOARD = "0PYXKY"
LS21_VENDOR = "IBM"
LS21_BOARD = "Server Blade"


def parse_cpu_list(text: str) -> List[int]:
    out: List[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return sorted(set(out))


def format_cpu_list(cpus: List[int]) -> str:
    parts: List[str] = []
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        if i == j:
            parts.append(str(cpus[i]))
        elif j == i + 1:  # tuned writes a pair as "0,1" (platform-facts §8 samples)
            parts += [str(cpus[i]), str(cpus[j])]
        else:
            parts.append(f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)


def os_release(rel: Release) -> str:
    maj = rel.major
    if maj == 7:
        return (
            'NAME="Red Hat Enterprise Linux Server"\n'
            f'VERSION="{rel.version} ({rel.codename})"\n'
            'ID="rhel"\nID_LIKE="fedora"\nVARIANT="Server"\nVARIANT_ID="server"\n'
            f'VERSION_ID="{rel.version}"\n'
            f'PRETTY_NAME="{rel.pretty_name}"\n'
            'ANSI_COLOR="0;31"\n'
            f'CPE_NAME="cpe:/o:redhat:enterprise_linux:{rel.version}:GA:server"\n'
            'HOME_URL="https://www.redhat.com/"\nBUG_REPORT_URL="https://bugzilla.redhat.com/"\n\n'
            'REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux 7"\n'
            f"REDHAT_BUGZILLA_PRODUCT_VERSION={rel.version}\n"
            'REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"\n'
            f'REDHAT_SUPPORT_PRODUCT_VERSION="{rel.version}"\n'
        )
    return (
        'NAME="Red Hat Enterprise Linux"\n'
        f'VERSION="{rel.version} ({rel.codename})"\n'
        'ID="rhel"\n'
        f'ID_LIKE="fedora"\n'
        f'VERSION_ID="{rel.version}"\n'
        f'PLATFORM_ID="platform:el{maj}"\n'
        f'PRETTY_NAME="{rel.pretty_name}"\n'
        'ANSI_COLOR="0;31"\n'
        + ('LOGO="fedora-logo-icon"\n' if maj >= 9 else "")
        # RHEL 10 moved its docs to docs.redhat.com [inferred: the rest as on 9]
        + f'CPE_NAME="cpe:/o:redhat:enterprise_linux:{maj}::baseos"\n'
        'HOME_URL="https://www.redhat.com/"\n'
        + (
            f'DOCUMENTATION_URL="https://docs.redhat.com/en/documentation/red_hat_enterprise_linux/{maj}"\n'
            if maj >= 10
            else f'DOCUMENTATION_URL="https://access.redhat.com/documentation/en-us/red_hat_enterprise_linux/{maj}"\n'
        )
        + 'BUG_REPORT_URL="https://bugzilla.redhat.com/"\n\n'
        f'REDHAT_BUGZILLA_PRODUCT="Red Hat Enterprise Linux {maj}"\n'
        f"REDHAT_BUGZILLA_PRODUCT_VERSION={rel.version}\n"
        'REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux"\n'
        f'REDHAT_SUPPORT_PRODUCT_VERSION="{rel.version}"\n'
    )


def base_args(rel: Release) -> List[str]:
    if rel.major == 7:
        return [
            "root=/dev/mapper/rhel-root",
            "ro",
            "rd.lvm.lv=rhel/root",
            "rd.lvm.lv=rhel/swap",
            "rhgb",
            "quiet",
            "LANG=en_US.UTF-8",
        ]
    return [
        "root=/dev/mapper/rhel-root",
        "ro",
        "resume=/dev/mapper/rhel-swap",
        "rd.lvm.lv=rhel/root",
        "rd.lvm.lv=rhel/swap",
        "rhgb",
        "quiet",
    ]


def rt_args(rel: Release, isolated: str, housekeeping: str) -> List[str]:
    """The tuned realtime profile block of each release (platform-facts §8 samples)."""
    if rel.major == 7:
        return [
            "skew_tick=1",
            f"isolcpus={isolated}",
            "intel_pstate=disable",
            "nosoftlockup",
            "nohz=on",
            f"nohz_full={isolated}",
            f"rcu_nocbs={isolated}",
        ]
    if rel.major == 8:
        return [
            "skew_tick=1",
            f"isolcpus=managed_irq,domain,{isolated}",
            "intel_pstate=disable",
            "nosoftlockup",
            "tsc=reliable",
            "nohz=on",
            f"nohz_full={isolated}",
            f"rcu_nocbs={isolated}",
            f"irqaffinity={housekeeping}",
        ]
    return [
        "skew_tick=1",
        "tsc=reliable",
        "rcupdate.rcu_normal_after_boot=1",
        f"isolcpus=managed_irq,domain,{isolated}",
        "intel_pstate=disable",
        "nosoftlockup",
        "nohz=on",
        f"nohz_full={isolated}",
        f"rcu_nocbs={isolated}",
        f"irqaffinity={housekeeping}",
    ]


def bls_entry(rel: Release, kver: str, options: str, rescue_mid: Optional[str] = None) -> str:
    ver = f"0-rescue-{rescue_mid}" if rescue_mid else kver
    return (
        f"title {rel.title(ver)}\n"
        f"version {ver}\n"
        f"linux /vmlinuz-{ver}\n"
        f"initrd /initramfs-{ver}.img\n"
        f"options {options}\n"
        "grub_users $grub_users\n"
        "grub_arg --unrestricted\n"
        "grub_class rhel\n"
    )


GRUB_CFG_HEADER = """#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub2-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
set pager=1

if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi

if [ x"${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

if [ "${prev_saved_entry}" ]; then
  set saved_entry="${prev_saved_entry}"
  save_env saved_entry
  set prev_saved_entry=
  save_env prev_saved_entry
  set boot_once=true
fi

function savedefault {
  if [ -z "${boot_once}" ]; then
    saved_entry="${chosen}"
    save_env saved_entry
  fi
}

function load_video {
  insmod all_video
}

terminal_output console
if [ x$feature_timeout_style = xy ] ; then
  set timeout_style=menu
  set timeout=5
# Fallback normal timeout code in case the timeout_style feature is
# unavailable.
else
  set timeout=5
fi
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
"""

GRUB_CFG_FOOTER = """### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/40_custom ###
# This file provides an easy way to add custom menu entries.  Simply type the
# menu entries you want to add after this comment.  Be careful not to change
# the 'menuentry' line above.
### END /etc/grub.d/40_custom ###
"""


def grub_menuentry(title: str, kver_for_id: str, boot_uuid: str, path: str, initrd: str, args: str) -> str:
    return (
        f"menuentry '{title}' --class red --class gnu-linux --class gnu --class os --unrestricted "
        f"$menuentry_id_option 'gnulinux-{kver_for_id}-advanced-{boot_uuid}' {{\n"
        "\tload_video\n"
        "\tset gfxpayload=keep\n"
        "\tinsmod gzio\n"
        "\tinsmod part_msdos\n"
        "\tinsmod xfs\n"
        "\tset root='hd0,msdos1'\n"
        "\tif [ x$feature_platform_search_hint = xy ]; then\n"
        f"\t  search --no-floppy --fs-uuid --set=root --hint='hd0,msdos1'  {boot_uuid}\n"
        "\telse\n"
        f"\t  search --no-floppy --fs-uuid --set=root {boot_uuid}\n"
        "\tfi\n"
        f"\tlinux16 {path} {args}\n"
        f"\tinitrd16 {initrd}\n"
        "}\n"
    )


def parse_ram(text: str) -> int:
    m = re.fullmatch(r"\s*([0-9]+)\s*([KMGT]?)i?B?\s*", text, re.I)
    if not m:
        raise ValueError(f"bad --ram value {text!r} (use e.g. 8G, 2048M)")
    mult = {"": 1 << 30, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2).upper()]
    return int(m.group(1)) * mult


def _rpm(root: Path, *args: str) -> None:
    argv = ["/usr/bin/rpm", "--root", str(root), "--define", "_dbpath /var/lib/rpm"]
    if args[0] != "--initdb":
        argv.append("--force-debian")
    argv += list(args)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise HostError(f"rpm {' '.join(args[:2])} failed: {proc.stdout.strip()}")


def _pkg(rel: Release, name: str) -> releases.Pkg:
    pkg = releases.find(rel, name)
    if pkg is None:
        raise HostError(f"package {name} is not in the RHEL {rel.version} repository")
    return pkg


def create(
    root: os.PathLike,
    release: str,
    ram: str = "8G",
    product_name: Optional[str] = None,
    isolated_cpus: str = "2-7",
    cpus: Optional[int] = None,
    hostname: str = "rt-host.example.com",
    force: bool = False,
) -> Host:
    rel = releases.get(release)
    ram_bytes = parse_ram(ram)
    root = Path(root).resolve()
    if root.exists() and any(root.iterdir()):
        if not force:
            raise HostError(f"{root} exists and is not empty (use --force to replace a simulated host)")
        if not (root / ".simhost" / "host.json").is_file():
            raise HostError(f"--force: refusing to remove {root}: it is not a simulated host")
        shutil.rmtree(root)
    iso = parse_cpu_list(isolated_cpus)
    ncpu = cpus or max(8, (max(iso) + 1) if iso else 8)
    hk = [c for c in range(ncpu) if c not in iso] or [0]
    iso_s, hk_s = format_cpu_list(iso), format_cpu_list(hk)
    repo_path = repo.build_repo(rel)

    root.mkdir(parents=True, exist_ok=True)
    for d in (
        "etc/sysconfig",
        "etc/yum.repos.d",
        "etc/dnf/vars",
        "etc/systemd/system/multi-user.target.wants",
        "etc/default",
        "usr/lib/systemd/system",
        "usr/bin",
        "usr/sbin",
        "boot/grub2",
        "var/lib/rpm",
        "var/lib/dnf",
        "var/log",
        "var/tmp",
        "var/cache",
        "tmp",
        "run",
        "proc/sys/kernel/random",
        "sys/kernel",
        "sys/class/dmi/id",
        "dev/mapper",
        "root",
        "home",
        "lib/modules",
        ".simhost/home",
        ".simhost/bin",
        "mnt",
    ):
        (root / d).mkdir(parents=True, exist_ok=True)
    os.symlink("../run", root / "var/run")
    os.symlink("../run/lock", root / "var/lock")
    mid = uuid.uuid4().hex
    boot_uuid = str(uuid.uuid4())
    meta = {
        "release": rel.version,
        "ram_bytes": ram_bytes,
        "machine_id": mid,
        "cpus": ncpu,
        "isolated_cpus": iso_s,
        "created": time.time(),
        "boots": 0,
        "repo": str(repo_path),
        "product_name": product_name or DEFAULT_PRODUCT,
        "simhost_schema": 1,
    }
    write_atomic(root / ".simhost/host.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
    write_atomic(root / ".simhost/home/.rpmmacros", "%_dbpath /var/lib/rpm\n")
    host = Host(root)

    # -- /etc ----------------------------------------------------------------
    host.write("/etc/os-release", os_release(rel))
    host.write("/etc/redhat-release", rel.redhat_release + "\n")
    os.symlink("redhat-release", root / "etc/system-release")
    host.write("/etc/machine-id", mid + "\n", 0o444)
    host.write("/etc/hostname", hostname + "\n")
    host.write(
        "/etc/fstab",
        "\n#\n# /etc/fstab\n# Created by anaconda\n#\n"
        "/dev/mapper/rhel-root   /                       xfs     defaults        0 0\n"
        f"UUID={boot_uuid} /boot                   xfs     defaults        0 0\n"
        "/dev/mapper/rhel-swap   swap                    swap    defaults        0 0\n",
    )
    cmdline_linux = (
        "rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet"
        if rel.major == 7
        else "resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet"
    )
    host.write(
        "/etc/default/grub",
        "GRUB_TIMEOUT=5\n"
        "GRUB_DISTRIBUTOR=\"$(sed 's, release .*$,,g' /etc/system-release)\"\n"
        'GRUB_DEFAULT=saved\nGRUB_DISABLE_SUBMENU=true\nGRUB_TERMINAL_OUTPUT="console"\n'
        f'GRUB_CMDLINE_LINUX="{cmdline_linux}"\n'
        'GRUB_DISABLE_RECOVERY="true"\n' + ("GRUB_ENABLE_BLSCFG=true\n" if rel.bls else ""),
    )
    if rel.major == 7:
        repo_id, repo_name = "rhel-7-server-rpms", "Red Hat Enterprise Linux 7 Server (RPMs)"
    else:
        repo_id = f"rhel-{rel.major}-for-x86_64-baseos-rpms"
        repo_name = f"Red Hat Enterprise Linux {rel.major} for x86_64 - BaseOS (RPMs)"
    host.write(
        "/etc/yum.repos.d/redhat.repo",
        "#\n# Certificate-Based Repositories (rtkdump-simhost: a local file:// mirror)\n#\n"
        f"[{repo_id}]\nname = {repo_name}\nbaseurl = file://{repo_path}\n"
        "enabled = 1\ngpgcheck = 0\nmetadata_expire = -1\nskip_if_unavailable = 0\n",
    )
    dnf_conf = (
        "[main]\ngpgcheck=0\ninstallonly_limit=3\nclean_requirements_on_remove=True\nbest=True\n"
        "skip_if_unavailable=False\nplugins=0\nreposdir=/etc/yum.repos.d\ncachedir=/var/cache/dnf\n"
        "logdir=/var/log\npersistdir=/var/lib/dnf\nmetadata_timer_sync=0\n"
    )
    host.write("/etc/dnf/dnf.conf", dnf_conf)
    releasever = "7Server" if rel.major == 7 else str(rel.major)
    # Anaconda's /etc/sysconfig/kernel (new-kernel-pkg / grub2-get-kernel-settings read it): a new
    # kernel becomes the default only per the release's rule in kinstall.becomes_default
    host.write(
        "/etc/sysconfig/kernel",
        "# UPDATEDEFAULT specifies if kernel-install should make\n# new kernels the default\n"
        "UPDATEDEFAULT=yes\n\n# DEFAULTKERNEL specifies the default kernel package type\n"
        f"DEFAULTKERNEL={'kernel' if rel.major == 7 else 'kernel-core'}\n",
    )
    if rel.major == 7:
        (root / "etc/kernel/postinst.d").mkdir(parents=True, exist_ok=True)
    else:
        from .kinstall import PLUGIN_FILES, plugin_wrapper

        (root / "etc/kernel/install.d").mkdir(parents=True, exist_ok=True)
        for name, owner in PLUGIN_FILES:
            host.write(f"/usr/lib/kernel/install.d/{name}", plugin_wrapper(name, owner), 0o755)
    host.write("/etc/dnf/vars/releasever", releasever + "\n")
    if rel.major == 7:
        host.write(
            "/etc/yum.conf",
            "[main]\ncachedir=/var/cache/yum/$basearch/$releasever\nkeepcache=0\ndebuglevel=2\n"
            "logfile=/var/log/yum.log\nexactarch=1\nobsoletes=1\ngpgcheck=0\nplugins=0\n"
            "installonly_limit=3\nexit_on_lock=False\n",
        )
    else:
        os.symlink("dnf/dnf.conf", root / "etc/yum.conf")
    os.symlink("../boot/grub2/grub.cfg", root / "etc/grub2.cfg")
    host.write(
        "/usr/lib/systemd/system/multi-user.target",
        "[Unit]\nDescription=Multi-User System\nRequires=basic.target\nAllowIsolate=yes\n",
    )
    host.write("/usr/lib/systemd/system/basic.target", "[Unit]\nDescription=Basic System\n")
    host.write("/etc/systemd/system/default.target", "")
    os.unlink(root / "etc/systemd/system/default.target")
    os.symlink("/usr/lib/systemd/system/multi-user.target", root / "etc/systemd/system/default.target")

    # -- rpmdb: release package and kernels ------------------------------------
    _rpm(root, "--initdb")
    pkgs = [repo_path / _pkg(rel, n).filename for n in releases.installed_at_create(rel)]
    _rpm(root, "-i", "--nodeps", "--noscripts", "--notriggers", *[str(p) for p in pkgs])

    # -- /boot -----------------------------------------------------------------
    for kver in (rel.rt_kver, rel.std_kver):
        if rel.bls:
            # kernel-core ships /lib/modules/KVER/{vmlinuz,System.map,config}; at install time
            # 20-grub.install copied them into /boot (the RPM only %ghost-owns /boot/vmlinuz-KVER)
            for src, dst, mode in (
                ("vmlinuz", "vmlinuz", 0o755),
                ("System.map", "System.map", 0o644),
                ("config", "config", 0o644),
            ):
                text = host.read(f"/lib/modules/{kver}/{src}")
                if text is not None:
                    host.write(f"/boot/{dst}-{kver}", text, mode)
        host.write(f"/boot/initramfs-{kver}.img", f"simulated initramfs {kver}\n", 0o600)
        host.write(f"/boot/.vmlinuz-{kver}.hmac", f"0000  /boot/vmlinuz-{kver}\n")
    host.write(f"/boot/vmlinuz-0-rescue-{mid}", "simulated rescue kernel\n", 0o755)
    host.write(f"/boot/initramfs-0-rescue-{mid}.img", "simulated rescue initramfs\n", 0o600)
    base = base_args(rel)
    rt_opts = " ".join(base + rt_args(rel, iso_s, hk_s))
    std_opts = " ".join(base)
    rescue_opts = " ".join(a for a in base if not a.startswith("LANG="))
    if rel.bls:
        (root / "boot/loader/entries").mkdir(parents=True, exist_ok=True)
        host.write(f"/boot/loader/entries/{mid}-{rel.rt_kver}.conf", bls_entry(rel, rel.rt_kver, rt_opts))
        host.write(f"/boot/loader/entries/{mid}-{rel.std_kver}.conf", bls_entry(rel, rel.std_kver, std_opts))
        host.write(
            f"/boot/loader/entries/{mid}-0-rescue.conf", bls_entry(rel, "", rescue_opts, rescue_mid=mid)
        )
        env = {"saved_entry": f"{mid}-{rel.rt_kver}", "boot_success": "0"}
        if rel.major == 8:
            # RHEL 8's grub2-mkconfig keeps the common arguments in grubenv; new BLS entries
            # (20-grub.install) say `options $kernelopts`
            env["kernelopts"] = std_opts
        write_grubenv(root / "boot/grub2/grubenv", env)
        host.write(
            "/boot/grub2/grub.cfg",
            GRUB_CFG_HEADER.replace(
                "### END /etc/grub.d/00_header ###",
                "### END /etc/grub.d/00_header ###\n\ninsmod blscfg\nblscfg",
            )
            + GRUB_CFG_FOOTER,
        )
    else:
        body = ""
        body += grub_menuentry(
            rel.title(rel.rt_kver),
            rel.std_kver,
            boot_uuid,
            f"/vmlinuz-{rel.rt_kver}",
            f"/initramfs-{rel.rt_kver}.img",
            rt_opts,
        )
        body += grub_menuentry(
            rel.title(rel.std_kver),
            rel.std_kver,
            boot_uuid,
            f"/vmlinuz-{rel.std_kver}",
            f"/initramfs-{rel.std_kver}.img",
            std_opts,
        )
        body += grub_menuentry(
            rel.title(f"0-rescue-{mid}"),
            f"0-rescue-{mid}",
            boot_uuid,
            f"/vmlinuz-0-rescue-{mid}",
            f"/initramfs-0-rescue-{mid}.img",
            rescue_opts,
        )
        host.write("/boot/grub2/grub.cfg", GRUB_CFG_HEADER + body + GRUB_CFG_FOOTER, 0o644)
        write_grubenv(root / "boot/grub2/grubenv", {"saved_entry": rel.title(rel.rt_kver)})

    # -- devices, DMI, misc /proc ------------------------------------------------
    for dev in ("/dev/sda", "/dev/sda1", "/dev/sda2", "/dev/dm-0", "/dev/dm-1", "/dev/null"):
        host.write(dev, "")
    os.symlink("../dm-0", root / "dev/mapper/rhel-root")
    os.symlink("../dm-1", root / "dev/mapper/rhel-swap")
    (root / "dev/disk/by-uuid").mkdir(parents=True, exist_ok=True)
    os.symlink("../../sda1", root / f"dev/disk/by-uuid/{boot_uuid}")
    product = product_name or DEFAULT_PRODUCT
    ls21 = bool(re.search(r"\bLS21\b|7971", product))
    host.write("/sys/class/dmi/id/product_name", product + "\n", 0o444)
    host.write("/sys/class/dmi/id/sys_vendor", (LS21_VENDOR if ls21 else DEFAULT_VENDOR) + "\n", 0o444)
    host.write("/sys/class/dmi/id/board_name", (LS21_BOARD if ls21 else DEFAULT_BOARD) + "\n", 0o444)
    host.write("/proc/sys/kernel/sysrq", "16\n")
    host.write(
        "/proc/cpuinfo",
        "".join(
            f"processor\t: {i}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338N CPU @ 2.20GHz\n\n"
            for i in range(ncpu)
        ),
    )
    sysfiles.write_mountinfo(host)
    sysfiles.write_grubby_script(host, rel.bls)
    kernel.boot(host, reason="power-on")
    return host
