"""Where the boot entries come from: the files themselves (BLS) or grubby, and RHEL 7's default.

On RHEL 8/9/10 ``grubby`` is grubby-bls, a bash script that forks ~27
processes per entry; :mod:`.bls` reproduces what it prints from the entry
files and grubenv.  This module decides, from the host's own files, whether
that reproduction applies, and says why not when it does not (then grubby is
run as before):

* which grubby: ``/usr/sbin/grubby`` is either grubby-bls itself (Fedora
  rpms/grubby since 415ad45) or the ``grubby.in`` wrapper that runs
  ``/usr/libexec/grubby/grubby`` (C grubby, grubby-deprecated) when it is
  executable and ``/usr/libexec/grubby/grubby-bls`` otherwise.  C grubby
  installed at all -> run grubby; a script whose read path is not one of the
  revisions proven in tests/fixtures/bls (``bls.flavor_of_script``) -> run grubby.
* ``mountpoint -q /boot``: grubby-bls prefixes ``/boot`` only when /boot is a
  mount point.  Read from ``/proc/self/mountinfo`` (field 5, octal escapes),
  else ``/proc/mounts`` (field 2), under the host root: on the machine itself
  these are the mount table of rtkdump's own namespace, which is the one the
  grubby it would run sees; under ``--root`` they are the tree's (a simulated
  host writes them).  Neither readable -> run grubby.
* Files: ``/boot/loader/entries/*`` and ``/boot/grub2/grubenv`` through the
  Host; any read error other than a missing grubenv -> run grubby.

RHEL 7 (C grubby 8.28 on grub.cfg) keeps ``grubby --info=ALL`` and takes the
default the way ``readConfig()`` does for the stock ``set default="${saved_entry}"``
header, so one grubby call suffices: grubenv's ``saved_entry`` is an index
(all digits) or the title of an entry.  Only the unambiguous cases are
derived (a stock header, saved_entry naming a linux entry without a GRUB
root spec in its kernel path); anything else answers None and the caller asks
``grubby --default-kernel``.  Proven against the 260 recorded real C grubby
cases in tests/fixtures/grubby-c.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from ..host import Host
from . import bls
from .model import BootEntry

ENTRIES_DIR = "/boot/loader/entries"
GRUBENV = "/boot/grub2/grubenv"
GRUBBY = "/usr/sbin/grubby"
GRUBBY_C = "/usr/libexec/grubby/grubby"
GRUBBY_BLS = "/usr/libexec/grubby/grubby-bls"


def _unescape(field: str) -> str:
    # the kernel writes space, tab, newline and backslash in mount paths as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mount_points_of_mountinfo(text: str) -> Set[str]:
    """The mount points (field 5) of /proc/self/mountinfo (proc(5))."""
    out = set()
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) >= 5:
            out.add(_unescape(fields[4]))
    return out


def mount_points_of_mounts(text: str) -> Set[str]:
    """The mount points (field 2) of /proc/mounts (fstab(5) format)."""
    out = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            out.add(_unescape(fields[1]))
    return out


def boot_is_separate_mount(host: Host) -> Tuple[Optional[bool], str]:
    """What ``mountpoint -q /boot`` would say, and from where; (None, why) when unreadable."""
    for path, parse in (
        ("/proc/self/mountinfo", mount_points_of_mountinfo),
        ("/proc/mounts", mount_points_of_mounts),
    ):
        try:
            points = parse(host.read_text(path))
        except OSError:
            continue
        if points:
            return "/boot" in points, path
    return None, "neither /proc/self/mountinfo nor /proc/mounts is readable"


def grubby_bls_flavor(host: Host) -> Tuple[Optional[bls.GrubbyBls], str]:
    """The grubby-bls revision ``grubby`` runs on this host, or (None, why grubby must be asked)."""
    if host.is_executable(GRUBBY_C):
        return None, f"{GRUBBY_C} (C grubby, grubby-deprecated) is installed"
    try:
        if host.read_head(GRUBBY, 2) != b"#!":
            return None, f"{GRUBBY} is not a script"
        text = host.read_text(GRUBBY)
    except OSError as exc:
        return None, f"{GRUBBY}: {exc.strerror or exc}"
    flavor = bls.flavor_of_script(text)
    if flavor is not None:
        return flavor, GRUBBY
    if GRUBBY_BLS in text:  # the grubby.in wrapper
        try:
            flavor = bls.flavor_of_script(host.read_text(GRUBBY_BLS))
        except OSError as exc:
            return None, f"{GRUBBY_BLS}: {exc.strerror or exc}"
        if flavor is not None:
            return flavor, GRUBBY_BLS
        return None, f"{GRUBBY_BLS}: not a grubby-bls revision this rtkdump knows"
    return None, f"{GRUBBY}: not a grubby-bls revision this rtkdump knows"


def read_bls_files(host: Host) -> Tuple[Dict[str, str], Optional[str]]:
    """Every file in the entries directory (base name -> text) and grubenv (None: absent). Raises OSError."""
    entries = {name: host.read_text(f"{ENTRIES_DIR}/{name}") for name in host.list_dir(ENTRIES_DIR)}
    try:
        grubenv: Optional[str] = host.read_text(GRUBENV)
    except FileNotFoundError:
        grubenv = None
    return entries, grubenv


# --- RHEL 7: the default without a second grubby call --------------------------
_STOCK_DEFAULT = re.compile(r'^[ \t]*set[ \t]+default="\$\{saved_entry\}"[ \t]*$')
_ANY_DEFAULT = re.compile(r"^[ \t]*set[ \t]+default[ \t]*=")
_NEXT_ENTRY_DEFAULT = re.compile(r'^[ \t]*set[ \t]+default="\$\{next_entry\}"[ \t]*$')


def _grubenv_saved_entry(grubenv_text: str) -> Optional[str]:
    # grub2-editenv list: the block must carry the signature; escaped characters make it ambiguous
    if not grubenv_text.startswith("# GRUB Environment Block\n") or "\\" in grubenv_text:
        return None
    for line in grubenv_text.split("\n")[1:]:
        if line.startswith("saved_entry="):
            return line[len("saved_entry=") :]
    return None


def grub2_default_kernel(entries: List[BootEntry], grub_cfg: str, grubenv_text: str) -> Optional[str]:
    """What ``grubby --default-kernel`` prints on a stock RHEL 7 grub.cfg, or None: ask grubby.

    ``entries``: parsed ``grubby --info=ALL`` (index order, non-linux entries included).
    """
    lines = grub_cfg.split("\n")
    defaults = [line for line in lines if _ANY_DEFAULT.match(line) and not _NEXT_ENTRY_DEFAULT.match(line)]
    if len(defaults) != 1 or not _STOCK_DEFAULT.match(defaults[0]) or "\r" in grub_cfg:
        return None
    saved = _grubenv_saved_entry(grubenv_text)
    if not saved:
        return None
    chosen: Optional[BootEntry] = None
    if re.fullmatch(r"[0-9]+", saved):
        chosen = next((e for e in entries if e.index == int(saved)), None)
    else:
        for entry in entries:
            if entry.kernel is None:  # --info prints no title for it: it could be the match
                return None
            if entry.title == saved:
                chosen = entry
                break
    if chosen is None or chosen.kernel is None or "(" in chosen.kernel:
        return None
    return chosen.kernel
