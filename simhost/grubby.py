"""grubby stand-in: grubby-bls (RHEL 8/9) or the C grubby 8.28 (RHEL 7).

Formats, messages, exit codes and edit semantics follow platform-facts §1
(and the grubby-bls / grubby.c sources it cites).  The simulated /boot is a
separate mount point, so the BLS prefix is "/boot" and C grubby's
bootPrefix is "/boot" too.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from . import bootloader
from .host import Host, HostError, find_root, read_grubenv, root_from_subpath, write_atomic, write_grubenv

PREFIX = "/boot"


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


# ---------------------------------------------------------------------------
# option parsing (getopt_long for grubby-bls, popt for C grubby: both accept
# "--opt=value" and "--opt value")
# ---------------------------------------------------------------------------

BLS_WITH_ARG = {
    "add-kernel",
    "args",
    "config-file",
    "env",
    "info",
    "initrd",
    "extra-initrd",
    "remove-args",
    "remove-kernel",
    "set-default",
    "set-default-index",
    "title",
    "update-kernel",
    "bls-directory",
    "add-multiboot",
    "mbargs",
    "mounts",
    "boot-filesystem",
    "devtreedir",
    "output-file",
    "remove-mbargs",
    "remove-multiboot",
}
BLS_FLAGS = {
    "help",
    "bad-image-okay",
    "copy-default",
    "default-kernel",
    "default-index",
    "default-title",
    "grub2",
    "make-default",
    "zipl",
    "bootloader-probe",
    "debug",
    "devtree",
    "elilo",
    "efi",
    "extlinux",
    "grub",
    "lilo",
    "silo",
    "yaboot",
}
BLS_DEPRECATED = {
    "add-multiboot",
    "mbargs",
    "mounts",
    "boot-filesystem",
    "bootloader-probe",
    "debug",
    "devtree",
    "devtreedir",
    "elilo",
    "efi",
    "extlinux",
    "grub",
    "lilo",
    "output-file",
    "remove-mbargs",
    "silo",
    "remove-multiboot",
    "slilo",
    "yaboot",
}
SHORT = {"c": "config-file", "i": "extra-initrd", "b": "bls-directory", "o": "output-file"}

C_WITH_ARG = {
    "add-kernel",
    "add-multiboot",
    "args",
    "mbargs",
    "boot-filesystem",
    "config-file",
    "env",
    "info",
    "initrd",
    "extra-initrd",
    "output-file",
    "remove-args",
    "remove-mbargs",
    "remove-kernel",
    "remove-multiboot",
    "set-default",
    "set-default-index",
    "title",
    "update-kernel",
}
C_FLAGS = {
    "bad-image-okay",
    "bootloader-probe",
    "copy-default",
    "debug",
    "default-kernel",
    "default-index",
    "default-title",
    "elilo",
    "efi",
    "extlinux",
    "grub",
    "grub2",
    "lilo",
    "make-default",
    "silo",
    "version",
    "yaboot",
    "zipl",
    "help",
    "usage",
}


def parse(
    argv: Sequence[str], with_arg: set, flags: set
) -> Tuple[List[Tuple[str, Optional[str]]], List[str]]:
    opts: List[Tuple[str, Optional[str]]] = []
    rest: List[str] = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest += argv[i + 1 :]
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if name in with_arg:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        opts.append(("?missing", name))
                        break
                    val = argv[i]
                opts.append((name, val))
            elif name in flags:
                opts.append((name, None))
            else:
                opts.append(("?unknown", a))
        elif a.startswith("-") and len(a) > 1:
            key = SHORT.get(a[1])
            if key is None:
                opts.append(("?unknown", a))
            else:
                val = a[2:]
                if not val:
                    i += 1
                    val = argv[i] if i < len(argv) else ""
                opts.append((key, val))
        else:
            rest.append(a)
        i += 1
    return opts, rest


# ---------------------------------------------------------------------------
# grubby-bls
# ---------------------------------------------------------------------------


def _sed_sub(pattern: str, repl: str, text: str, count: int) -> str:
    try:
        return re.sub(pattern, repl, text, count=count)
    except re.error:
        return text


def bls_update_args(args: str, remove_args: str, add_args: str) -> str:
    """grubby-bls update_args (sed -E expressions, unquoted word splitting, echo)."""
    args = " ".join(args.split())
    sp = r"[ \t\n\r\f\v]"
    for arg in remove_args.split():
        if "=" in arg:
            args = " ".join(args.split())
            args = _sed_sub(r"(^|" + sp + r")" + arg + r"(" + sp + r"|$)", " ", args, 1)
        else:
            args = " ".join(args.split())
            args = _sed_sub(r"(^|" + sp + r")" + arg + r"((" + sp + r"|$)|([=][^ ]*([$]*)))", " ", args, 0)
    for arg in add_args.split():
        key = arg.rsplit("=", 1)[0] if "=" in arg else arg  # ${arg%=*}
        args = " ".join(args.split())
        args = _sed_sub(r"(^|" + sp + r")" + key + r"((" + sp + r"|$)|([=][^ ]*([$]*)))", " ", args, 0)
    for arg in add_args.split():
        args = f"{args} {arg}"
    return " ".join(args.split())


class Bls:
    def __init__(self, host: Host, blsdir: Optional[str], env: Optional[str], out: TextIO, err: TextIO):
        self.host = host
        self.out, self.err = out, err
        self.blsdir_shown = blsdir or "/boot/loader/entries"
        self.blsdir = Path(blsdir) if blsdir else host.path("/boot/loader/entries")
        self.env_path = Path(env) if env else host.path("/boot/grub2/grubenv")
        self.load()

    def load(self) -> None:
        self.entries = bootloader.load_bls(self.blsdir)
        self.env = read_grubenv(self.env_path)
        self.default_index = bootloader.bls_default_index(self.entries, self.env)

    def error(self, msg: str) -> None:
        self.err.write(msg + "\n")
        raise Exit(1)

    def param_to_indexes(self, param: str) -> List[int]:
        if param == "ALL":
            return list(range(len(self.entries)))
        if param == "DEFAULT":
            return [] if self.default_index is None else [self.default_index]
        idx: List[int] = []
        base = "/" + param.rsplit("/", 1)[-1]
        for i, e in enumerate(self.entries):
            if param == e.linux or base == e.linux:
                idx.append(i)
            if param == f"TITLE={e.title}":
                idx.append(i)
            if param == str(i):
                idx.append(i)
        return idx if idx else [-1]

    def args_of(self, i: int) -> str:
        return bootloader.expand_kernelopts(self.entries[i].options, self.env)

    def display_default(self, what: str) -> None:
        i = self.default_index
        if what == "index":
            self.out.write(("" if i is None else str(i)) + "\n")
            return
        e = self.entries[i if i is not None else 0] if self.entries else None
        if what == "kernel":
            self.out.write(PREFIX + (e.linux if e else "") + "\n")
        else:
            self.out.write((e.title if e else "") + "\n")

    def display_info(self, param: str) -> None:
        indexes = self.param_to_indexes(param)
        if indexes and indexes[0] == -1:
            self.error(f"The param {param} is incorrect")
        for i in indexes:
            e = self.entries[i]
            args = self.args_of(i)
            root = ""
            for opt in args.split():
                if opt.startswith("root="):
                    root = opt.replace("root=", "", 1)
                    args = " ".join(args.split())
                    args = re.sub(re.escape(opt) + r"[ \t]*", "", args, count=1)
                    break
            self.out.write(f"index={i}\n")
            self.out.write(f'kernel="{PREFIX}{e.linux}"\n')
            self.out.write(f'args="{args}"\n')
            if root:
                self.out.write(f'root="{root}"\n')
            self.out.write(f'initrd="{PREFIX}{e.initrd}"\n')
            self.out.write(f'title="{e.title}"\n')
            self.out.write(f'id="{e.id}"\n')

    def update(self, param: str, remove_args: str, add_args: str, initrd: str) -> None:
        indexes = self.param_to_indexes(param)
        if indexes and indexes[0] == -1:
            self.error(f"The param {PREFIX}{param} is incorrect")
        opts = self.env.get("kernelopts", "")
        if param == "ALL" and (remove_args or add_args):
            if "kernelopts" in self.env:
                opts = bls_update_args(self.env["kernelopts"], remove_args, add_args)
                self.env["kernelopts"] = opts
                write_grubenv(self.env_path, self.env)
            self._update_cmdline_files(remove_args, add_args)
        for i in indexes:
            e = self.entries[i]
            if remove_args or add_args:
                had_kernelopts = "$kernelopts" in e.options.split()
                new_args = bls_update_args(self.args_of(i), remove_args, add_args)
                if param != "ALL" or not had_kernelopts:
                    e.set("options", new_args)
                if not had_kernelopts and opts == new_args:
                    e.set("options", "$kernelopts")
            if initrd:
                e.set("initrd", initrd)
            e.save()

    def _update_cmdline_files(self, remove_args: str, add_args: str) -> None:
        rel = self.host.release
        if rel.major >= 9:
            kc = self.host.path("/etc/kernel/cmdline")
            if not kc.exists() and self.entries:
                self.host.write("/etc/kernel/cmdline", self.args_of(len(self.entries) - 1) + "\n")
            cur = self.host.read("/etc/kernel/cmdline", "") or ""
            self.host.write("/etc/kernel/cmdline", bls_update_args(cur, remove_args, add_args) + "\n")
        dg = self.host.read("/etc/default/grub")
        if dg is not None:
            out = []
            for line in dg.splitlines(True):
                m = re.match(r'^GRUB_CMDLINE_LINUX=(["\']?)(.*?)\1\s*$', line)
                if m:
                    line = 'GRUB_CMDLINE_LINUX="' + bls_update_args(m.group(2), remove_args, add_args) + '"\n'
                out.append(line)
            self.host.write("/etc/default/grub", "".join(out))

    def remove_kernel(self, param: str) -> None:
        indexes = self.param_to_indexes(param)
        if indexes and indexes[0] == -1:
            self.error(f"The param {PREFIX}{param} is incorrect")
        for i in indexes:
            if self.default_index == i:
                self.env.pop("saved_entry", None)
                write_grubenv(self.env_path, self.env)
            try:
                os.unlink(self.entries[i].path)
            except FileNotFoundError:
                pass
        self.load()

    def set_default(self, param: str) -> None:
        index = self.param_to_indexes(param)[0]
        if index == -1:
            self.error(f"The param {param} is incorrect")
        e = self.entries[index]
        self.env["saved_entry"] = e.id
        write_grubenv(self.env_path, self.env)
        self.err.write(
            f"The default is {self.blsdir_shown.rstrip('/')}/{e.id}.conf with index {index} "
            f"and kernel {PREFIX}{e.linux}\n"
        )


def _remove_var_prefix(value: str) -> str:
    if value and value.startswith("/"):
        v = value[len("/boot/") :] if value.startswith("/boot/") else value
        return "/" + v.lstrip("/") if v.startswith("/") else "/" + v
    return value


def bls_main(host: Host, argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    name = "grubby-bls"
    if not argv:
        err.write("no action specified\n")
        return 1
    opts, _rest = parse(argv, BLS_WITH_ARG, BLS_FLAGS)
    o: Dict[str, str] = {}
    display_default = ""
    for k, v in opts:
        if k == "?unknown" or k == "?missing":
            out.write("\n")
            err.write(
                f'{name}: invalid option "{v}"\n'
                if k == "?unknown"
                else f"{name}: option '--{v}' requires an argument\n"
            )
            err.write(f"Try '{name} --help' for more information\n")
            out.write("\n")
            return 1
        if k in BLS_DEPRECATED:
            out.write("\n")
            err.write(f'{name}: the option "--{k}" was deprecated\n')
            err.write(f"Try '{name} --help' to list supported options\n")
            out.write("\n")
            return 1
        if k == "help":
            out.write("Usage: grubby [OPTION...]\n")
            return 0
        if k in ("default-kernel", "default-index", "default-title"):
            display_default = k.split("-", 1)[1]
        elif k == "set-default-index":
            o["set-default"] = v or ""
        else:
            o[k] = v if v is not None else "true"
    if not o.get("update-kernel") and not o.get("add-kernel") and (o.get("args") or o.get("remove-args")):
        err.write("no action specified\n")
        return 1
    try:
        g = Bls(host, o.get("bls-directory"), o.get("env"), out, err)
        if display_default:
            g.display_default(display_default)
            return 0
        if "info" in o:
            g.display_info(o["info"])
            return 0
        if o.get("add-kernel"):
            err.write("grubby (rtkdump-simhost): --add-kernel is not simulated\n")
            return 1
        if o.get("remove-kernel"):
            g.remove_kernel(_remove_var_prefix(o["remove-kernel"]))
        if o.get("update-kernel"):
            g.update(
                _remove_var_prefix(o["update-kernel"]),
                o.get("remove-args", ""),
                o.get("args", ""),
                _remove_var_prefix(o.get("initrd", "")),
            )
        if o.get("set-default"):
            g.set_default(o["set-default"])
    except Exit as e:
        return e.code
    return 0


# ---------------------------------------------------------------------------
# C grubby (RHEL 7): a port of the parts of grubby.c 8.28-26.el7 that the simulated host
# reaches (grub2 configs only).  Function names in the comments are grubby.c's; the rules and
# the cases they were checked against are in docs/grubby-c-conformance.md and
# tests/fixtures/grubby-c/cases.json.
# ---------------------------------------------------------------------------

# enum lineType_e
LT_WHITESPACE = 1 << 0
LT_TITLE = 1 << 1
LT_KERNEL = 1 << 2
LT_INITRD = 1 << 3
LT_HYPER = 1 << 4
LT_DEFAULT = 1 << 5
LT_MBMODULE = 1 << 6
LT_ROOT = 1 << 7
LT_FALLBACK = 1 << 8
LT_KERNELARGS = 1 << 9
LT_BOOT = 1 << 10
LT_BOOTROOT = 1 << 11
LT_LBA = 1 << 12
LT_OTHER = 1 << 13
LT_GENERIC = 1 << 14
LT_ECHO = 1 << 16
LT_MENUENTRY = 1 << 17
LT_ENTRY_END = 1 << 18
LT_SET_VARIABLE = 1 << 19
LT_KERNEL_EFI = 1 << 20
LT_INITRD_EFI = 1 << 21
LT_KERNEL_16 = 1 << 22
LT_INITRD_16 = 1 << 23
LT_UNKNOWN = 1 << 24
LT_ANY_KERNEL = LT_KERNEL | LT_HYPER | LT_KERNEL_EFI | LT_KERNEL_16
LT_ANY_INITRD = LT_INITRD | LT_INITRD_EFI | LT_INITRD_16

# grub2Keywords: (key, type, nextChar, separatorChar), searched in this order
GRUB2_KEYWORDS: List[Tuple[str, int, str, str]] = [
    ("menuentry", LT_MENUENTRY, " ", ""),
    ("}", LT_ENTRY_END, " ", ""),
    ("echo", LT_ECHO, " ", ""),
    ("set", LT_SET_VARIABLE, " ", "="),
    ("root", LT_BOOTROOT, " ", ""),
    ("default", LT_DEFAULT, " ", ""),
    ("fallback", LT_FALLBACK, " ", ""),
    ("linux", LT_KERNEL, " ", ""),
    ("linuxefi", LT_KERNEL_EFI, " ", ""),
    ("linux16", LT_KERNEL_16, " ", ""),
    ("initrd", LT_INITRD, " ", " "),
    ("initrdefi", LT_INITRD_EFI, " ", " "),
    ("initrd16", LT_INITRD_16, " ", " "),
    ("module", LT_MBMODULE, " ", ""),
    ("kernel", LT_HYPER, " ", ""),
]

NO_DEFAULT_ENTRY = -1
DEFAULT_SAVED = -2
DEFAULT_SAVED_GRUB2 = -3
C_SPACE = " \t\n\v\f\r"  # isspace() in the C locale; Python's str.isspace() knows more


def _isspace(c: str) -> bool:
    return c != "" and c in C_SPACE


def _isquote(c: str) -> bool:
    return c in ("'", '"')


class CLine:
    """struct singleLine: indent, elements [item, indent-after] and a type.

    An element's indent is None where grubby.c leaves a NULL pointer (mergeElements on an empty range)."""

    def __init__(self, indent: str, elements: List[List[Optional[str]]], ltype: int):
        self.indent = indent
        self.elements = elements
        self.type = ltype

    def item(self, i: int) -> str:
        return self.elements[i][0] or ""

    def ind(self, i: int) -> str:
        return self.elements[i][1] or ""


def _kwcmp(key: str, sep: str, nxt: str, label: str) -> bool:
    """kwcmp(): the keyword matches the label exactly, or is followed by a space/separator/nextChar."""
    if len(key) > len(label) or not label.startswith(key):
        return False
    rest = label[len(key) :]
    return rest == "" or _isspace(rest[0]) or (sep != "" and rest[0] == sep) or (nxt != "" and rest[0] == nxt)


def _type_by_keyword(label: str) -> int:
    for key, ltype, nxt, sep in GRUB2_KEYWORDS:
        if _kwcmp(key, sep, nxt, label):
            return ltype
    return LT_UNKNOWN


def _merge_elements(els: List[List[Optional[str]]], left: int, right: int) -> List[List[Optional[str]]]:
    """mergeElements(): elements left..right become one; inner indents go into the item."""
    if right >= len(els):
        right = len(els) - 1
    new = [list(e) for e in els[:left]]
    item, newindent = "", None
    for i in range(left, right + 1):
        item += els[i][0] or ""
        if els[i][1] is not None:
            if i != right:
                item += els[i][1] or ""
            else:
                newindent = els[i][1]
        else:
            newindent = ""
    new.append([item, newindent])
    if left + 1 < len(els) and right + 1 < len(els):
        new += [list(e) for e in els[right + 1 :]]
    return new


def _empty_element(e: List[Optional[str]]) -> bool:
    return not e[0] and not e[1]


def get_next_line(raw: str) -> CLine:
    """getNextLine(): split one line into indent + elements, the way grubby does."""
    n = len(raw)
    i = 0
    while i < n and _isspace(raw[i]):
        i += 1
    indent, start = raw[:i], i
    els: List[List[Optional[str]]] = []
    first = True
    while start < n:
        ch = start
        while ch < n and not _isspace(raw[ch]):
            if first and raw[ch] == "=":  # "default=0": the first word stops at '='
                break
            ch += 1
        item = raw[start:ch]
        start = ch
        ch = start + 1 if start < n and raw[start] == "=" else start
        while True:  # lilo's "append = foo": '=' after blanks belongs to the separator
            while ch < n and _isspace(raw[ch]):
                ch += 1
            if ch < n and raw[ch] == "=":
                ch += 1
            if not (ch < n and _isspace(raw[ch])):
                break
        els.append([item, raw[start:ch]])
        start = ch
        first = False
    if not els:
        return CLine(indent, [], LT_WHITESPACE)
    line = CLine(indent, els, _type_by_keyword(els[0][0] or ""))
    if line.type == LT_UNKNOWN and (els[0][0] or "").startswith("#"):
        # a comment keeps everything in its indent, so it is written back as it was
        line.indent = indent + "".join((it or "") + (ind or "") for it, ind in els)
        line.elements, line.type = [], LT_WHITESPACE
    elif line.type == LT_SET_VARIABLE:
        # "set name=value": elements become set / name / value, with '=' as name's indent
        line.elements = _merge_elements(line.elements, 2, len(line.elements))
        eq = (line.elements[1][0] or "").find("=")
        if eq < 0:
            return line
        it1 = line.elements[1][0] or ""
        line.elements[1:2] = [[it1[:eq], it1[eq : eq + 1]], [it1[eq + 1 :], line.elements[1][1]]]
        while len(line.elements) > 1 and _empty_element(line.elements[-1]):
            line.elements = _merge_elements(line.elements, len(line.elements) - 2, len(line.elements) - 1)
    return line


def _merge_menuentry_title(line: CLine) -> None:
    """readConfig() for a menuentry line with more than 3 elements: [menuentry, title, extras]."""
    els = line.elements
    buf, quote = "", ""
    for item, ind in ((e[0] or "", e[1] or "") for e in els):
        if item == "menuentry":
            continue
        if item and _isquote(item[0]) and quote == "":
            quote, title = item[0], item[1:]
        else:
            title = item
        if title and quote and title[-1] == quote:
            buf += title[:-1]
            break
        buf += title + ind
    extras, count, quote = "", 0, ""
    for item, ind in ((e[0] or "", e[1] or "") for e in els):
        if count >= 2:
            extras += item + ind
        if item == "menuentry":
            continue
        if item and _isquote(item[0]) and quote == "":
            quote = item[0]
            count += 1
        if item and quote and item[-1] == quote:
            count += 1
    before_last = els[-2][1]
    line.elements = [els[0], [buf, before_last], [extras, before_last]]


def grub2_extract_title(line: CLine) -> Optional[str]:
    """grub2ExtractTitle()."""
    if not line.elements or line.item(0) != "menuentry" or len(line.elements) < 2:
        return None
    cur = line.item(1)
    if cur and _isquote(cur[0]) and _isquote(cur[-1]):
        return cur[1:-1]
    if not cur or not _isquote(cur[0]):
        return cur
    quote, result = cur[0], cur[1:]
    for i in range(2, len(line.elements)):
        it = line.item(i)
        result += line.ind(i)  # grubby appends the element's *following* indent first
        if not it or it[-1] != quote:
            result += it
        else:
            result += it[:-1]
            break
    return result


class CEntry:
    def __init__(self) -> None:
        self.lines: List[CLine] = []

    def line(self, types: int) -> Optional[CLine]:
        """getLineByType() from the entry's first line."""
        return next((ln for ln in self.lines if ln.type & types), None)


class CConfig:
    """struct grubConfig as readConfig() builds it from a grub2 grub.cfg."""

    def __init__(self, text: str, get_env: Callable[[str], Optional[str]]):
        if not text.endswith("\n"):
            text += "\n"  # readFile() adds the missing newline
        self.the_lines: List[CLine] = []
        self.entries: List[CEntry] = []
        self.default_is_saved = False
        self.no_default = True  # GRUB_CONFIG_NO_DEFAULT
        self.fallback = 0
        default_line: Optional[CLine] = None
        saw_entry = False
        entry: Optional[CEntry] = None
        self.primary_indent = ""
        for raw in text.split("\n")[:-1]:
            line = get_next_line(raw)
            if not saw_entry and line.elements:
                self.primary_indent = line.indent
            # isEntryStart(), or any line after an entry's "}" while no entry is open: the text
            # after a menuentry (up to the next "}" or the end) is one more, non-linux, entry
            if line.type == LT_MENUENTRY or (self.entries and not saw_entry):
                saw_entry = True
                entry = CEntry()
                self.entries.append(entry)
            if line.type == LT_SET_VARIABLE:
                if (
                    len(line.elements) == 3
                    and line.item(1) == "default"
                    and line.item(2) not in ('"${next_entry}"', '"${prev_saved_entry}"')
                ):
                    self.no_default = False
                    default_line = line
            elif line.type == LT_FALLBACK and len(line.elements) == 2:
                m = re.match(r"\s*[+-]?[0-9]+$", line.item(1))
                self.fallback = int(line.item(1)) if m else -1
            elif line.type == LT_MENUENTRY and len(line.elements) > 3:
                _merge_menuentry_title(line)
            if line.type == LT_DEFAULT and len(line.elements) == 2:
                self.no_default = False
                default_line = line
            if saw_entry:
                assert entry is not None
                entry.lines.append(line)
                if line.type == LT_ENTRY_END:
                    saw_entry = False
            else:
                self.the_lines.append(line)
        self.default_image = self._default(default_line, get_env)

    def _default(self, default_line: Optional[CLine], get_env: Callable[[str], Optional[str]]) -> int:
        if default_line is None:
            return 0  # FIRST_ENTRY_INDEX
        els = default_line.elements
        if len(els) > 2 and default_line.item(2).startswith('"${saved_entry}"'):
            self.default_is_saved = True
            found = self.saved_entry_index(get_env("saved_entry"))
            return DEFAULT_SAVED_GRUB2 if found is None else found
        # defaultIsVariable: set default="N"
        if len(els) == 2:
            value = default_line.item(1)[8:]
        elif len(els) == 3:
            value = default_line.item(2)
        else:
            return NO_DEFAULT_ENTRY
        m = re.match(r"[\"' \t]*([+-]?[0-9]*)(.*)$", value, re.S)
        assert m is not None
        if m.group(2).strip("\"' \t"):
            return NO_DEFAULT_ENTRY
        return int(m.group(1)) if m.group(1) not in ("", "+", "-") else 0

    def saved_entry_index(self, saved: Optional[str]) -> Optional[int]:
        """readConfig(): saved_entry is an index when it is all digits, otherwise a title."""
        if saved is None:
            return None
        if saved and saved.isdigit() and saved.isascii():
            return int(saved) if int(saved) < len(self.entries) else None
        return self.find_by_title(saved, 0)

    def find_by_title(self, title: str, start: int) -> Optional[int]:
        """findEntryByTitle()."""
        for i in range(start, len(self.entries)):
            line = self.entries[i].line(LT_TITLE) or self.entries[i].line(LT_MENUENTRY)
            if line is not None and grub2_extract_title(line) == title:
                return i
        return None

    def find_by_path(self, kernel: str, prefix: str, index: int) -> Optional[int]:
        """findEntryByPath() with *index = index; the entry's index, or None."""
        entries = self.entries
        if kernel[:1].isdigit() and kernel[:1].isascii():
            m = re.match(r"([0-9]+)((?:,[+-]?[0-9]+)*)$", kernel)
            if not m:
                return None  # strtol stopped before the end: can't parse it, bail
            idx = [int(x) for x in kernel.split(",")]
            # grubby walks the list position up to *index (an entry number), so after "1" in
            # "1,3" it asks for position 2 of the list, which is past the end: only 1 is used
            i = 0
            while i < index:
                i += 1
                if i >= len(idx):
                    return None
            n = idx[i]
            if n < 0 or n >= len(entries) or entries[n].line(LT_ANY_KERNEL) is None:
                return None
            return n
        if kernel == "DEFAULT":
            if index > self.default_image:
                return None
            return self.default_image if 0 <= self.default_image < len(entries) else None
        if kernel == "ALL":
            return index if index < len(entries) else None
        check = LT_KERNEL
        if kernel.startswith("TITLE="):
            prefix, check, kernel = "", LT_TITLE | LT_MENUENTRY, kernel[6:]
        want = kernel[len(prefix) :]
        for i in range(index, len(entries)):
            e = entries[i]
            ct = check | LT_KERNEL_EFI | LT_KERNEL_16 if check & LT_KERNEL else check
            hit = False
            for line in e.lines:
                if not line.type & ct:
                    continue
                if line.type != LT_MENUENTRY and len(line.elements) >= 2:
                    path = line.item(1)
                    if path[len(_rootspec(path)) :] == want:
                        hit = True
                        break
                if line.type == LT_MENUENTRY and len(line.elements) >= 2 and line.item(1) == kernel:
                    hit = True
                    break
            if hit and e.line(LT_ANY_KERNEL) is not None:
                return i
        return None

    def write(self, out: List[str]) -> int:
        """writeConfig() minus writeDefault's grubenv side; returns how often writeDefault ran."""
        calls = 0
        for line in self.the_lines:
            if is_default_line(line):
                out.append(self.default_text(line.indent, line.ind(0)))
                calls += 1
            elif line.type == LT_FALLBACK:
                if self.fallback > -1:
                    out.append(f"{line.indent}{line.item(0)}{line.ind(0)}{self.fallback}\n")
            else:
                out.append(line_write(line))
        if not calls:  # needs & MAIN_DEFAULT
            out.append(self.default_text(self.primary_indent))
            calls = 1
        for e in self.entries:
            for line in e.lines:
                out.append(line_write(line))
        return calls

    def default_text(self, indent: str, separator: str = "=") -> str:
        """writeDefault(), the grub.cfg part."""
        if not self.default_image and self.no_default:
            return ""
        if self.default_image == DEFAULT_SAVED:
            return f"{indent}default{separator}saved\n"
        if self.default_is_saved:
            return f'{indent}set default="${{saved_entry}}"\n'
        if self.default_image >= 0:
            return f'{indent}set default="{self.default_image}"\n'
        return ""


def is_default_line(line: CLine) -> bool:
    """The lines writeConfig() hands to writeDefault()."""
    if line.type == LT_SET_VARIABLE:
        return (
            len(line.elements) == 3
            and line.item(1) == "default"
            and line.item(2) not in ('"${next_entry}"', '"${prev_saved_entry}"')
        )
    return line.type == LT_DEFAULT


def _rootspec(path: str) -> str:
    """getRootSpecifier(): a leading "(hd0,msdos1)"."""
    if not path.startswith("("):
        return ""
    i = 0
    while i < len(path) and path[i] != ")" and not _isspace(path[i]):
        i += 1
    return path[: i + 1]


def line_write(line: CLine) -> str:
    """lineWrite(): the last element's trailing blanks are dropped (except on "set" lines)."""
    s = line.indent
    n = len(line.elements)
    for i in range(n):
        item = line.item(i)
        if line.type == LT_MENUENTRY and i == 1:
            if not _isquote(item[:1]):
                s += f'"{item}"' if "'" in item else f"'{item}'"
            else:
                s += item
            s += line.ind(i)
            continue
        s += item
        if i < n - 1 or line.type == LT_SET_VARIABLE:
            s += line.ind(i)
    return s + "\n"


def popt_split(s: str) -> Optional[List[str]]:
    """poptParseArgvString(): shell-like quotes and backslashes; None on a bad quote or no words."""
    argv: List[str] = []
    cur = ""
    quote = ""
    i = 0
    while i < len(s):
        c = s[i]
        if quote and c == quote:
            quote = ""
        elif quote:
            if c == "\\":
                i += 1
                if i >= len(s):
                    return None
                if s[i] != quote:
                    cur += "\\"
            cur += s[i]
        elif _isspace(c):
            if cur:
                argv.append(cur)
                cur = ""
        elif c in ("'", '"'):
            quote = c
        elif c == "\\":
            i += 1
            if i >= len(s):
                return None
            cur += s[i]
        else:
            cur += c
        i += 1
    if cur:
        argv.append(cur)
    return argv or None  # poptDupArgv() refuses an empty list


def _arg_name(a: str) -> str:
    return a.split("=", 1)[0]


def _arg_value_match(elem: str, arg: str) -> bool:
    """argValueMatch() == 0: both values equal; a missing value counts as the empty string only one way."""
    ea = elem.split("=", 1)[1] if "=" in elem else None
    eb = arg.split("=", 1)[1] if "=" in arg else None
    if ea is None and eb is None:
        return True
    if ea is None:
        return eb == ""  # *chptrb - 0
    if eb is None:
        return ea == ""
    return ea == eb


def _insert_element(line: CLine, item: str, here: int) -> None:
    """insertElement(): a new last element takes over the end-of-line blanks of the old last one."""
    here = min(here, len(line.elements))
    if not line.elements:
        indent = ""
    elif here == 0:
        indent = " "  # every grub2 keyword's nextChar
    else:
        sep = next((s for k, t, _n, s in GRUB2_KEYWORDS if t == line.type), "")
        indent = sep or " "
    if here > 0 and line.ind(here - 1) == "":
        new = [item, line.elements[here - 1][1]]
        line.elements[here - 1][1] = indent
    else:
        new = [item, indent]
    line.elements.insert(here, new)


def _remove_element(line: CLine, here: int) -> None:
    """removeElement(): the previous element inherits the removed one's trailing blanks."""
    if here >= len(line.elements):
        return
    if here > 1:
        line.elements[here - 1][1] = line.elements[here][1]
    del line.elements[here]


class CGrubby:
    def __init__(self, host: Host, config: str, env: Optional[str], prefix: str, out: TextIO, err: TextIO):
        self.host = host
        self.out, self.err = out, err
        self.prefix = prefix
        self.config_path = Path(config)
        self.env_path = Path(env) if env else host.path("/boot/grub2/grubenv")
        with open(self.config_path, errors="surrogateescape", newline="") as fh:  # a \r is data to grubby
            text = fh.read()
        self.cfg = CConfig(text, self.get_env)

    # grub2GetEnv / grub2SetEnv run `grub2-editenv FILE list|set`; grub2-editenv writes through
    # a symlinked grubenv (UEFI: /boot/grub2/grubenv -> ../efi/EFI/redhat/grubenv)
    def get_env(self, name: str) -> Optional[str]:
        return read_grubenv(Path(resolve_in_host(self.host, str(self.env_path)))).get(name)

    def set_env(self, name: str, value: str) -> None:
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]  # unquote()
        target = Path(resolve_in_host(self.host, str(self.env_path)))
        env = read_grubenv(target)
        env[name] = value
        write_grubenv(target, env)

    def display_entry(self, i: int) -> None:
        """displayEntry()."""
        e = self.cfg.entries[i]
        w = self.out.write
        w(f"index={i}\n")
        line = e.line(LT_ANY_KERNEL)
        if line is None:
            w("non linux entry\n")
            return
        path = line.item(1) if len(line.elements) > 1 else ""
        w(f"kernel={path}\n" if path.startswith(self.prefix) else f"kernel={self.prefix}{path}\n")
        root: Optional[str] = None
        if len(line.elements) >= 3:
            parts = []
            for j in range(2, len(line.elements)):
                if line.item(j).startswith("root="):
                    root = line.item(j)[5:]
                else:
                    parts.append(line.item(j) + line.ind(j))
            w('args="' + "".join(parts) + '"\n')
        if root is not None:
            w(f"root={root[:-1] if root.endswith(chr(34)) else root}\n")
        initrd = e.line(LT_ANY_INITRD)
        if initrd is not None and len(initrd.elements) >= 2:
            first = initrd.item(1)
            w("initrd=" if first.startswith(self.prefix) else f"initrd={self.prefix}")
            w("".join(initrd.item(j) + initrd.ind(j) for j in range(1, len(initrd.elements))) + "\n")
        menu = e.line(LT_MENUENTRY)
        title = grub2_extract_title(menu) if menu is not None else None
        if title is not None:
            w(f"title={title}\n")

    def display_info(self, kernel: str) -> int:
        """displayInfo()."""
        i = self.cfg.find_by_path(kernel, self.prefix, 0)
        if i is None:
            self.err.write("grubby: kernel not found\n")
            return 1
        seen = 0
        while i is not None and seen <= len(self.cfg.entries):  # "0,0" loops forever in grubby
            self.display_entry(i)
            i = self.cfg.find_by_path(kernel, self.prefix, i + 1)
            seen += 1
        return 0

    def set_default(self, path: Optional[str], index: int) -> None:
        """setDefaultImage() when no kernel is added (--set-index is 0)."""
        cfg = self.cfg
        if index >= 0:
            if index == 0:
                cfg.default_image = 0
                return
            # the index is checked against the config as it will be after adding an entry at
            # --set-index (0): grubby verifies index - 1 when nothing was added
            cfg.default_image = index if 0 <= index - 1 < len(cfg.entries) else NO_DEFAULT_ENTRY
            return
        lookup = 0
        if path is not None:
            found = cfg.find_by_path(path, self.prefix, 0)
            if found is None:
                cfg.default_image = NO_DEFAULT_ENTRY
                return
            cfg.default_image = lookup = found
        elif cfg.default_image < 0:
            if cfg.default_image in (DEFAULT_SAVED, DEFAULT_SAVED_GRUB2) and cfg.default_is_saved:
                saved = self.get_env("saved_entry")
                if saved is not None:
                    if saved.isdigit() and saved.isascii():
                        lookup = int(saved)
                    else:
                        t = cfg.find_by_title(saved, 0)
                        lookup = t if t is not None else 0  # a dangling title leaves index 0
                    cfg.default_image = lookup
        else:
            lookup = cfg.default_image
        if not 0 <= lookup < len(cfg.entries):
            t = self.find_template()
            cfg.default_image = NO_DEFAULT_ENTRY if t is None else t

    def find_template(self) -> Optional[int]:
        """findTemplate(), with suitableImage() reduced to "the kernel file exists and root= is set".

        The real one also resolves root= with blkid and compares UUIDs with the mounted /; the
        recorded cases do not reach this (see docs/grubby-c-conformance.md)."""
        cfg = self.cfg
        if cfg.default_is_saved:
            saved = self.get_env("saved_entry")
            if saved is not None:
                i = int(saved) if saved.isdigit() and saved.isascii() else cfg.find_by_title(saved, 0)
                if i is not None and i < len(cfg.entries) and self.suitable(i):
                    return i
        elif 0 <= cfg.default_image < len(cfg.entries) and self.suitable(cfg.default_image):
            return cfg.default_image
        for i in range(len(cfg.entries)):
            if self.suitable(i):
                return i
        self.err.write("grubby fatal error: unable to find a suitable template\n")
        return None

    def suitable(self, i: int) -> bool:
        line = self.cfg.entries[i].line(LT_ANY_KERNEL)
        if line is None or len(line.elements) < 2:
            return False
        path = line.item(1)[len(_rootspec(line.item(1))) :]
        if not self.host.path(self.prefix + "/" + path.lstrip("/")).exists():
            return False
        return any(line.item(j).lower().startswith("root=") for j in range(2, len(line.elements)))

    def update(self, image: str, add: Optional[str], remove: Optional[str]) -> int:
        """updateActualImage()."""
        new_args: List[str] = []
        old_args: List[str] = []
        if add is not None:
            split = popt_split(add)
            if split is None:
                self.err.write(f"grubby: error separating arguments '{add}'\n")
                return 1
            new_args = split
        if remove is not None:
            split = popt_split(remove)
            if split is None:
                self.err.write(f"grubby: error separating arguments '{remove}'\n")
                return 1
            old_args = split
        index = 0
        i = self.cfg.find_by_path(image, self.prefix, index)
        guard = 0
        while i is not None and guard <= len(self.cfg.entries):
            guard += 1
            line = self.cfg.entries[i].line(LT_KERNEL | LT_MBMODULE | LT_KERNEL_EFI | LT_KERNEL_16)
            if line is not None:
                self._edit(line, new_args, old_args)
            i = self.cfg.find_by_path(image, self.prefix, i + 1)
        return 0

    @staticmethod
    def _edit(line: CLine, new_args: List[str], old_args: List[str]) -> None:
        first = 2
        used = [False] * len(line.elements)
        for arg in new_args:
            j = first
            while j < len(line.elements):
                if not used[j] and _arg_name(line.item(j)) == _arg_name(arg):
                    used[j] = True
                    break
                j += 1
            if j < len(line.elements):
                line.elements[j][0] = arg  # in place, keeping its position and blanks
            else:
                _insert_element(line, arg, j)
                used.insert(j, True)
        for arg in old_args:
            for j in range(first, len(line.elements)):
                if _arg_name(line.item(j)) == _arg_name(arg) and (
                    "=" not in arg or _arg_value_match(line.item(j), arg)
                ):
                    _remove_element(line, j)
                    break

    def write(self) -> None:
        """writeConfig(): the whole file, written to "<target>-" and renamed over the target of a symlink."""
        out: List[str] = []
        self.cfg.write(out)
        write_atomic(Path(resolve_in_host(self.host, str(self.config_path))), "".join(out))
        cfg = self.cfg
        # writeDefault(): grub2-editenv set saved_entry=<title of the default entry>
        if (
            cfg.default_is_saved
            and not (cfg.default_image == 0 and cfg.no_default)
            and 0 <= cfg.default_image < len(cfg.entries)
        ):
            e = cfg.entries[cfg.default_image]
            line = e.line(LT_MENUENTRY) or e.line(LT_TITLE)
            if line is not None:
                self.set_env("saved_entry", line.item(1))


def resolve_in_host(host: Host, path: str) -> str:
    """Follow symlinks (as grubby's writeConfig and grub2-editenv do) without ever leaving the host tree."""
    p = Path(path)
    for _ in range(10):
        if not p.is_symlink():
            break
        target = os.readlink(p)
        p = host.path(target) if target.startswith("/") else (p.parent / target)
        p = Path(os.path.normpath(str(p)))
    return str(p)


def c_main(host: Host, argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """main() of grubby.c, for the grub2 configuration type."""
    opts, rest = parse(argv, C_WITH_ARG, C_FLAGS)
    o: Dict[str, str] = {}
    for k, v in opts:
        if k == "?unknown":
            err.write(f"grubby: bad argument {v}: unknown option\n")
            return 1
        if k == "?missing":
            err.write(f"grubby: bad argument --{v}: missing argument\n")
            return 1
        if k == "version":
            out.write("grubby version 8.28\n")
            return 0
        o[k] = v if v is not None else "1"
    if rest:
        err.write(f"grubby: unexpected argument {rest[0]}\n")
        return 1
    default_index = -1
    if "set-default-index" in o:
        try:
            default_index = int(o["set-default-index"], 10)
        except ValueError:
            err.write(
                f"grubby: bad argument --set-default-index={o['set-default-index']}: invalid numeric value\n"
            )
            return 1
    if "set-default" in o and default_index >= 0:
        err.write("grubby: --set-default and --set-default-index may not be used together\n")
        return 1
    actions = (
        "remove-kernel",
        "add-kernel",
        "default-kernel",
        "set-default",
        "info",
        "bootloader-probe",
        "update-kernel",
        "remove-multiboot",
        "default-index",
        "default-title",
    )
    if not any(a in o for a in actions) and default_index == -1:
        err.write("grubby: no action specified\n")
        return 1
    if "add-kernel" not in o and (
        "copy-default" in o
        or ("initrd" in o and "update-kernel" not in o)
        or "make-default" in o
        or "extra-initrd" in o
    ):
        err.write("grubby: kernel path expected\n")
        return 1
    prefix = o.get("boot-filesystem", PREFIX)  # findBootPrefix(): /boot is a separate mount
    if prefix.endswith("/"):
        prefix = prefix[:-1]
    config = o.get("config-file")
    if config is None:
        # grub2FindConfig(): the first of these that can be read (access() follows the symlink)
        for cand in ("/etc/grub2-efi.cfg", "/etc/grub2.cfg"):
            if os.path.exists(resolve_in_host(host, str(host.path(cand)))):
                config = str(host.path(cand))
                break
    if config is None:
        out.write("Could not find bootloader configuration file.\n")
        return 1
    if not os.path.exists(resolve_in_host(host, config)):
        err.write(f"error opening {config} for read: No such file or directory\n")
        return 1
    if "add-kernel" in o or "remove-kernel" in o or ("initrd" in o and "update-kernel" in o):
        err.write("grubby (rtkdump-simhost): --add-kernel/--remove-kernel/--initrd are not simulated\n")
        return 1
    g = CGrubby(host, resolve_in_host(host, config), o.get("env"), prefix, out, err)
    cfg = g.cfg
    shows_default = "default-kernel" in o or "default-title" in o or "default-index" in o
    if shows_default:
        d = cfg.default_image
        if d == NO_DEFAULT_ENTRY:
            return 0
        if d == DEFAULT_SAVED_GRUB2 and cfg.default_is_saved:
            d = 0
        if "default-kernel" in o:
            # patch 0080: the default is printed even when suitableImage() says no (missing file)
            if not 0 <= d < len(cfg.entries):
                return 0
            line = cfg.entries[d].line(LT_ANY_KERNEL)
            if line is None:
                return 0
            out.write(prefix + line.item(1)[len(_rootspec(line.item(1))) :] + "\n")
        elif "default-title" in o:
            if not 0 <= d < len(cfg.entries):
                return 0
            menu = cfg.entries[d].line(LT_MENUENTRY)
            title = grub2_extract_title(menu) if menu is not None else None
            if title is not None:
                out.write(title + "\n")
        else:
            out.write(f"{d}\n")
        return 0
    if "info" in o:
        return g.display_info(o["info"])
    g.set_default(o.get("set-default"), default_index)
    if "update-kernel" in o and ("args" in o or "remove-args" in o):
        rc = g.update(o["update-kernel"], o.get("args"), o.get("remove-args"))
        if rc:
            return rc
    if not cfg.entries:
        err.write("grubby: doing this would leave no kernel entries. Not writing out new config.\n")
        return 1
    g.write()
    return 0


# ---------------------------------------------------------------------------


def _host_for(argv: Sequence[str]) -> Host:
    opts, _ = parse(argv, BLS_WITH_ARG | C_WITH_ARG, BLS_FLAGS | C_FLAGS)
    o = {k: v for k, v in opts if v is not None}
    root: Optional[Path] = None
    if os.environ.get("SIMHOST_ROOT"):
        root = Path(os.environ["SIMHOST_ROOT"])
    elif o.get("bls-directory"):
        root = root_from_subpath(o["bls-directory"], ["/boot/loader/entries"])
    elif o.get("config-file"):
        root = root_from_subpath(o["config-file"], ["/boot/grub2/grub.cfg", "/boot/efi/EFI/redhat/grub.cfg"])
    elif o.get("env"):
        root = root_from_subpath(o["env"], ["/boot/grub2/grubenv"])
    return Host(find_root(str(root) if root else None))


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        host = _host_for(argv)
        rel = host.release
    except HostError as exc:
        err.write(f"grubby (rtkdump-simhost): {exc}\n")
        return 1
    if rel.bls:
        return bls_main(host, argv, out, err)
    return c_main(host, argv, out, err)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
