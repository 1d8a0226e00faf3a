"""Read BLS boot entries the way grubby-bls prints them, without running grubby.

On RHEL 8/9/10 ``grubby`` is the bash script grubby-bls, which forks ~27
processes per entry.  This module takes the text of
``/boot/loader/entries/*.conf`` and of ``grubenv`` and produces, byte for
byte, what grubby-bls prints for ``--info=ALL``, ``--default-kernel`` and
``--default-index``; the public functions then hand that text to the existing
parsers in :mod:`reconciler.facts.boot`, so the data is exactly what the
grubby-based reader gets today (including its ParseErrors).

Script line numbers below are for grubby-bls at Fedora dist-git ``rpms/grubby``
68f872a (8.40-68; the mirror github:fedora-riscv/grubby); the functions named
are the same in the other revisions listed in :data:`FLAVORS`.

The script's shell behaviour that matters, and how it is reproduced:

* Which files: the glob ``${blsdir}/*.conf`` filtered by ``-e`` (l. 88-95):
  names ending in ``.conf`` that do not start with ``.``; the id is the name
  without ``.conf``.  Order: ``sort -Vr`` (l. 95, since 8.40-68) or, before
  that, ``rpm-sort -c rpmnvrcmp | tac`` (rpmvercmp on name/version/release
  split at the last two ``-``), see :class:`GrubbyBls`.
* Field values: ``grep "^key[ \\t]" | sed "s!^key[ \\t]*!!"`` (l. 59-64).  grep
  reads ``[ \\t]`` as space, backslash or ``t`` (a TAB after the key does not
  match); sed reads it as space or TAB.  Several matching lines are joined
  with newlines; trailing newlines are dropped (command substitution); the
  value goes through ``echo``, so a value that is only ``-n``/``-e``/``-E``
  flags becomes empty.
* ``args``: the options line with ``$kernelopts`` replaced by grubenv's
  ``kernelopts`` (via ``grub2-editenv list | grep kernelopts``, l. 207-219;
  unset -> stays literal) and, in scripts before 2b59d13, every ``$var`` token
  replaced the same way (``$tuned_params`` too).  In the current scripts
  ``$tuned_params``/``$tuned_initrd`` stay literal.  Unquoted ``echo ${args}``
  collapses whitespace (l. 244).  The first ``root=`` token is removed with a
  sed regex and printed on its own line (l. 262-269).
* Prefix: ``/boot`` before ``linux``/``initrd`` only if ``mountpoint -q /boot``
  (l. 199-205): the caller says whether /boot is a separate mount.
* Default: ``grep '^saved_entry='`` on the raw grubenv (l. 117); empty or
  absent -> index 0; all digits -> that index (bash arithmetic: leading 0 is
  octal, ``08`` matches nothing); else the first entry whose id or title
  matches it as a bash pattern (l. 128-138).  No match: ``--default-index``
  prints an empty line, ``--default-kernel`` prints entry 0's kernel (an empty
  bash array subscript is 0).

Not reproduced (documented, never seen in BLS files written by
kernel-install/grubby): pathname expansion of unquoted words (a token with
``*``/``?``/``[`` is taken as matching no file, as it does with the usual
working directory), ``echo -e`` escape processing, extglob patterns in
saved_entry comparisons, sed errors from a ``/`` in a ``$var`` name, file
names holding newlines, and locale collation (C-locale byte order is used
where ``sort``/the glob fall back to collation).
"""

from __future__ import annotations

import re
from typing import List, Mapping, Optional, Sequence

from ..digest import sha256
from ..records import dataclass
from . import boot
from .bls_shell import (
    _bash_int,
    _bash_matches,
    _bre,
    _cmdsubst,
    _echo,
    _echo_quoted,
    _escape_slash,
    _lines,
    _sed_s_first,
    _words,
)
from .model import BootLoader
from .versort import filevercmp, rpm_sort, rpmvercmp, sort_v

__all__ = [
    "FLAVORS",
    "GRUBBY_BLS_EXPAND_ALL_VARS",
    "GRUBBY_BLS_RPM_SORT",
    "GRUBBY_BLS_SORT_V",
    "GrubbyBls",
    "bls_boot_entries",
    "bls_default_index",
    "bls_entry_order",
    "filevercmp",
    "flavor_of_script",
    "render_default_index",
    "render_default_kernel",
    "render_info_all",
    "rpm_sort",
    "rpmvercmp",
    "sort_v",
]


@dataclass(frozen=True)
class GrubbyBls:
    """The grubby-bls read-path variant being reproduced."""

    name: str
    sort: str  # "rpm-sort" (rpm-sort -c rpmnvrcmp | tac) or "sort-V" (sort -Vr)
    expand_all_vars: bool  # True: every $var token is looked up in grubenv (before 2b59d13)


# Fedora rpms/grubby revisions whose --info/--default-* code paths these are;
# each was run on the fixture corpus (tests/fixtures/bls/).
GRUBBY_BLS_EXPAND_ALL_VARS = GrubbyBls("5d39638 (8.40-52, 2021-04)", "rpm-sort", True)
GRUBBY_BLS_RPM_SORT = GrubbyBls(
    "2f62077 (8.40-67, 2022-10; read path unchanged since 2b59d13)", "rpm-sort", False
)
GRUBBY_BLS_SORT_V = GrubbyBls("68f872a (8.40-68, 2022-11; = d696710 8.40-69)", "sort-V", False)
FLAVORS = {
    "5d39638": GRUBBY_BLS_EXPAND_ALL_VARS,
    "2f62077": GRUBBY_BLS_RPM_SORT,
    "68f872a": GRUBBY_BLS_SORT_V,
}

_ENVBLK_SIGNATURE = "# GRUB Environment Block\n"


def bls_entry_order(names: Sequence[str], flavor: GrubbyBls) -> List[str]:
    """Entry ids (file names without ``.conf``) in grubby-bls index order."""
    globbed = sorted(names, key=lambda n: n.encode())  # the glob's own order (C locale)
    if flavor.sort == "sort-V":
        return sort_v(globbed, reverse=True)
    return rpm_sort(globbed)[::-1]  # | tac


# --- grubenv -----------------------------------------------------------------
def _editenv_list(grubenv_text: Optional[str]) -> str:
    """What ``grub2-editenv FILE list`` prints (stdout); '' when the file is missing or not an env block."""
    if grubenv_text is None:
        return ""
    buf = grubenv_text
    # grub_envblk_open: the signature, and more than just it (size < sizeof incl. NUL is refused)
    if len(buf.encode()) < len(_ENVBLK_SIGNATURE) + 1 or not buf.startswith(_ENVBLK_SIGNATURE):
        return ""
    out: List[str] = []
    p = len(_ENVBLK_SIGNATURE)
    end = len(buf)
    while p < end:
        if buf[p] == "#":
            nl = buf.find("\n", p)
            p = end if nl == -1 else nl + 1
            continue
        eq = buf.find("=", p)
        if eq == -1:
            break  # "broken": iteration stops
        name = buf[p:eq]  # may span lines: grub looks for '=' only
        q = eq + 1
        value: List[str] = []
        while q < end and buf[q] != "\n":
            if buf[q] == "\\":
                q += 1
                if q >= end:
                    break
            value.append(buf[q])
            q += 1
        if q >= end:
            break  # a last value without newline is dropped
        out.append(f"{name}={''.join(value)}\n")
        p = q + 1
    return "".join(out)


def _expand_var(var: str, grubenv_text: Optional[str]) -> str:
    """grubby-bls expand_var (l. 207-219): ``$name`` -> grubenv's value, or itself when unset/empty."""
    name = var[1:] if var.startswith("$") else var  # ${var##$}
    value = ""
    if name:  # `grep` with no pattern argument fails: nothing
        listing = _editenv_list(grubenv_text)
        found = [
            _sed_s_first(line, f"{name}=", "")
            for line in _lines(listing)
            if re.search(_bre(name), line, re.DOTALL)
        ]
        value = _cmdsubst("\n".join(found))
    value = _escape_slash(_echo(_words(value)))
    if value:
        var = value
    return _echo(_words(var))


def _saved_entry(grubenv_text: Optional[str]) -> str:
    if grubenv_text is None:
        return ""  # grep fails on the missing file: empty
    found = [line[len("saved_entry=") :] for line in _lines(grubenv_text) if line.startswith("saved_entry=")]
    return _cmdsubst("\n".join(found))  # a plain assignment: no echo


# --- entries -------------------------------------------------------------------
@dataclass(frozen=True)
class _Entry:
    id: str
    title: str
    linux: str
    initrd: str
    options: str


def _bls_value(text: str, key: str) -> str:
    """grubby-bls get_bls_value (l. 59-64)."""
    found = []
    for line in _lines(text):
        # grep "^key[ \t]": in grep's brackets \t is a backslash and a 't'
        if line.startswith(key) and len(line) > len(key) and line[len(key)] in " \\t":
            found.append(re.sub(r"^[ \t]*", "", line[len(key) :]))  # sed: here \t is a TAB
    return _echo_quoted(_cmdsubst("\n".join(found)))


def _entries(entry_files: Mapping[str, str], flavor: GrubbyBls) -> List[_Entry]:
    names = [n[: -len(".conf")] for n in entry_files if n.endswith(".conf") and not n.startswith(".")]
    out = []
    for bls_id in bls_entry_order(names, flavor):
        text = entry_files[bls_id + ".conf"]
        out.append(
            _Entry(
                id=bls_id,
                title=_bls_value(text, "title"),
                linux=_bls_value(text, "linux"),
                initrd=_bls_value(text, "initrd"),
                options=_bls_value(text, "options"),
            )
        )
    return out


def _bls_args(options: str, grubenv_text: Optional[str], flavor: GrubbyBls) -> str:
    """grubby-bls get_bls_args (l. 233-245)."""
    args = options
    for opt in _words(options):
        wanted = opt.startswith("$") if flavor.expand_all_vars else opt == "$kernelopts"
        if wanted:
            value = _expand_var(opt, grubenv_text)
            args = _sed_s_first(_echo(_words(args)), opt, value)
    return _echo(_words(args))


def _default_index(entries: Sequence[_Entry], grubenv_text: Optional[str]) -> str:
    """grubby-bls get_default_index (l. 111-139): the index as printed, '' when nothing matched."""
    default = _saved_entry(grubenv_text)
    index: Optional[int]
    if not default:
        index = 0
    elif re.fullmatch(r"[0-9]+", default):
        index = _bash_int(default)  # None: the arithmetic error makes the test false
    else:
        index = -1
    for i, e in enumerate(entries):
        if index is not None and i == index:
            return str(i)
        if _bash_matches(default, e.id) or _bash_matches(default, e.title):
            return str(i)
    return ""


def _prefix(boot_is_separate_mount: bool) -> str:
    return "/boot" if boot_is_separate_mount else ""


def render_info_all(
    entry_files: Mapping[str, str],
    grubenv_text: Optional[str],
    boot_is_separate_mount: bool,
    flavor: GrubbyBls = GRUBBY_BLS_RPM_SORT,
) -> str:
    """stdout of ``grubby --info=ALL`` (display_info_values, l. 247-284)."""
    return _info_all(_entries(entry_files, flavor), grubenv_text, boot_is_separate_mount, flavor)


def _info_all(
    entries: Sequence[_Entry], grubenv_text: Optional[str], separate: bool, flavor: GrubbyBls
) -> str:
    prefix = _prefix(separate)
    out: List[str] = []
    for i, e in enumerate(entries):
        args = _bls_args(e.options, grubenv_text, flavor)
        root = ""
        for opt in _words(args):
            if opt.startswith("root="):
                root = opt.replace("root=", "", 1)
                args = _sed_s_first(_echo(_words(args)), _escape_slash(opt) + "[ \\t]*", "")
                break
        out.append(f"index={i}")
        out.append(f'kernel="{prefix}{e.linux}"')
        out.append(f'args="{args}"')
        if root:
            out.append(f'root="{root}"')
        out.append(f'initrd="{prefix}{e.initrd}"')
        out.append(f'title="{e.title}"')
        out.append(f'id="{e.id}"')
    return "".join(line + "\n" for line in out)


def render_default_index(
    entry_files: Mapping[str, str],
    grubenv_text: Optional[str],
    flavor: GrubbyBls = GRUBBY_BLS_RPM_SORT,
) -> str:
    """stdout of ``grubby --default-index`` (an empty line when saved_entry matches nothing)."""
    return _default_index(_entries(entry_files, flavor), grubenv_text) + "\n"


def render_default_kernel(
    entry_files: Mapping[str, str],
    grubenv_text: Optional[str],
    boot_is_separate_mount: bool,
    flavor: GrubbyBls = GRUBBY_BLS_RPM_SORT,
) -> str:
    """stdout of ``grubby --default-kernel`` (display_default_value, l. 141-158)."""
    return _default_kernel(_entries(entry_files, flavor), grubenv_text, boot_is_separate_mount)


def _default_kernel(entries: Sequence[_Entry], grubenv_text: Optional[str], separate: bool) -> str:
    index = _default_index(entries, grubenv_text)
    position = int(index) if index else 0  # ${bls_linux[$default_index]}: an empty subscript is 0
    linux = entries[position].linux if position < len(entries) else ""
    return f"{_prefix(separate)}{linux}\n"


def bls_boot_entries(
    entry_files: Mapping[str, str],
    grubenv_text: Optional[str],
    boot_is_separate_mount: bool,
    flavor: GrubbyBls = GRUBBY_BLS_RPM_SORT,
) -> BootLoader:
    """The BootLoader that parsing ``grubby --info=ALL`` + ``--default-kernel`` gives, without grubby.

    ``entry_files``: every file in /boot/loader/entries, base name -> text (the
    ones grubby ignores are ignored here); ``grubenv_text``: /boot/grub2/grubenv,
    None when it does not exist; ``boot_is_separate_mount``: what
    ``mountpoint -q /boot`` says; ``flavor``: from :func:`flavor_of_script` on the
    host's grubby-bls (the entry order and ``$var`` expansion differ between
    revisions).  grub2 hosts only: on s390x grubby-bls reads zipl.conf instead.
    Raises ParseError where the grubby parsers would.
    """
    entries = _entries(entry_files, flavor)
    info = _info_all(entries, grubenv_text, boot_is_separate_mount, flavor)
    default = _default_kernel(entries, grubenv_text, boot_is_separate_mount)
    return BootLoader(
        style="bls",
        entries=boot.parse_grubby_info(info),
        default_kernel=boot.parse_grubby_default_kernel(default),
    )


def bls_default_index(
    entry_files: Mapping[str, str],
    grubenv_text: Optional[str],
    flavor: GrubbyBls = GRUBBY_BLS_RPM_SORT,
) -> Optional[int]:
    """What parsing ``grubby --default-index`` gives (None: saved_entry names no entry)."""
    return boot.parse_grubby_default_index(render_default_index(entry_files, grubenv_text, flavor))


# --- which grubby-bls is installed ---------------------------------------------
# The functions and top-level lines that make up the --info/--default-* path.
_READ_PATH_FUNCS = (
    "get_bls_value",
    "get_bls_values",
    "get_default_index",
    "display_default_value",
    "param_to_indexes",
    "get_prefix",
    "expand_var",
    "get_bls_args",
    "display_info_values",
)


def _read_path(script_text: str) -> Optional[str]:
    lines = script_text.split("\n")
    parts: List[str] = []
    for func in _READ_PATH_FUNCS:
        start = next(
            (k for k, line in enumerate(lines) if re.match(rf"{func}\s*\(\)\s*(\{{)?\s*$", line)), None
        )
        if start is None:
            return None
        end = next((k for k in range(start + 1, len(lines)) if lines[k] == "}"), None)
        if end is None:
            return None
        parts.append("\n".join(lines[start : end + 1]))
    try:  # the top level from reading the entries to printing them
        first = lines.index("get_bls_values")
        last = lines.index('    display_info_values "${display_info}"', first)
    except ValueError:
        return None
    parts.append("\n".join(lines[first : last + 2]))
    return "\n".join(parts)


def _digest(text: str) -> str:
    return sha256(text.encode()).hexdigest()


# sha256 of _read_path() of the grubby-bls revisions proven on the corpus
# (tests/fixtures/bls/).  Fedora rpms/grubby history: 77a8c0b..5d39638
# (2019-11 .. 2021-04) share the first, 2b59d13..2f62077 (2021-06 .. 2022-10)
# the second, 68f872a and d696710 the third.
_KNOWN_READ_PATHS = {
    "1dd4c3ddd23e4b3fa7d7ebd3ab3ec3add4e82dd6f304c2459a46dfe58a49d0b3": GRUBBY_BLS_EXPAND_ALL_VARS,
    "0a0f20b915ca696d2215f5b121ef23c10feafd91bfbd00420d00260f6f6fd5f7": GRUBBY_BLS_RPM_SORT,
    "8f1cc10c0c18a951952023b9e1d41b0bde6264e03e08aa3d8de4e56dad069ac8": GRUBBY_BLS_SORT_V,
}


def flavor_of_script(script_text: str) -> Optional[GrubbyBls]:
    """The flavor whose --info/--default-* code the installed grubby-bls has, or None (then run grubby).

    ``script_text``: /usr/libexec/grubby/grubby-bls (RHEL 8/9) or /usr/sbin/grubby
    when that is the script itself.  Only a read path identical to a recorded
    revision's counts; anything else (an unknown RHEL patch) gives None.
    """
    path = _read_path(script_text)
    if path is None:
        return None
    return _KNOWN_READ_PATHS.get(_digest(path))
