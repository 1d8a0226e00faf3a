"""grubby stand-in: grubby-bls (RHEL 8/9) or the C grubby 8.28 (RHEL 7).

Formats, messages, exit codes and edit semantics follow platform-facts §1
(and the grubby-bls / grubby.c sources it cites).  The simulated /boot is a
separate mount point, so the BLS prefix is "/boot" and C grubby's
bootPrefix is "/boot" too.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, TextIO, Tuple

from . import bootloader
from .host import Host, HostError, find_root, read_grubenv, root_from_subpath, write_grubenv

PREFIX = "/boot"


class Exit(Exception):
    def __init__(self, code: int):
        self.code = code


# ---------------------------------------------------------------------------
# option parsing (getopt_long for grubby-bls, popt for C grubby: both accept
# "--opt=value" and "--opt value")
# ---------------------------------------------------------------------------

BLS_WITH_ARG = {"add-kernel", "args", "config-file", "env", "info", "initrd", "extra-initrd", "remove-args",
                "remove-kernel", "set-default", "set-default-index", "title", "update-kernel", "bls-directory",
                "add-multiboot", "mbargs", "mounts", "boot-filesystem", "devtreedir", "output-file",
                "remove-mbargs", "remove-multiboot"}
BLS_FLAGS = {"help", "bad-image-okay", "copy-default", "default-kernel", "default-index", "default-title",
             "grub2", "make-default", "zipl", "bootloader-probe", "debug", "devtree", "elilo", "efi",
             "extlinux", "grub", "lilo", "silo", "yaboot"}
BLS_DEPRECATED = {"add-multiboot", "mbargs", "mounts", "boot-filesystem", "bootloader-probe", "debug", "devtree",
                  "devtreedir", "elilo", "efi", "extlinux", "grub", "lilo", "output-file", "remove-mbargs",
                  "silo", "remove-multiboot", "slilo", "yaboot"}
SHORT = {"c": "config-file", "i": "extra-initrd", "b": "bls-directory", "o": "output-file"}

C_WITH_ARG = {"add-kernel", "add-multiboot", "args", "mbargs", "boot-filesystem", "config-file", "env", "info",
              "initrd", "extra-initrd", "output-file", "remove-args", "remove-mbargs", "remove-kernel",
              "remove-multiboot", "set-default", "set-default-index", "title", "update-kernel"}
C_FLAGS = {"bad-image-okay", "bootloader-probe", "copy-default", "debug", "default-kernel", "default-index",
           "default-title", "elilo", "efi", "extlinux", "grub", "grub2", "lilo", "make-default", "silo",
           "version", "yaboot", "zipl", "help", "usage"}


def parse(argv: Sequence[str], with_arg: set, flags: set) -> Tuple[List[Tuple[str, Optional[str]]], List[str]]:
    opts: List[Tuple[str, Optional[str]]] = []
    rest: List[str] = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest += argv[i + 1:]
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
        self.err.write(f"The default is {self.blsdir_shown.rstrip('/')}/{e.id}.conf with index {index} "
                       f"and kernel {PREFIX}{e.linux}\n")


def _remove_var_prefix(value: str) -> str:
    if value and value.startswith("/"):
        v = value[len("/boot/"):] if value.startswith("/boot/") else value
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
            err.write(f'{name}: invalid option "{v}"\n' if k == "?unknown" else f"{name}: option '--{v}' requires an argument\n")
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
            g.update(_remove_var_prefix(o["update-kernel"]), o.get("remove-args", ""), o.get("args", ""),
                     _remove_var_prefix(o.get("initrd", "")))
        if o.get("set-default"):
            g.set_default(o["set-default"])
    except Exit as e:
        return e.code
    return 0


# ---------------------------------------------------------------------------
# C grubby (RHEL 7)
# ---------------------------------------------------------------------------


def _key(arg: str) -> str:
    return arg.split("=", 1)[0]


class CGrubby:
    def __init__(self, host: Host, config: str, env: Optional[str], out: TextIO, err: TextIO):
        self.host = host
        self.out, self.err = out, err
        self.cfg = bootloader.GrubCfg(Path(config))
        self.env_path = Path(env) if env else host.path("/boot/grub2/grubenv")
        self.env = read_grubenv(self.env_path)
        self.default_image = self.cfg.default_index(self.env)

    def _rootspec_strip(self, path: str) -> str:
        m = re.match(r"^\([^)]*\)", path)
        return path[m.end():] if m else path

    def find(self, kernel: str) -> List[int]:
        entries = self.cfg.entries
        has_kernel = [e.kernel_line is not None for e in entries]
        if kernel[:1].isdigit():
            try:
                idx = [int(x) for x in kernel.split(",")]
            except ValueError:
                return []
            found: List[int] = []
            for i in idx:
                if i < 0 or i >= len(entries) or not has_kernel[i]:
                    break
                found.append(i)
            return found
        if kernel == "DEFAULT":
            d = self.default_image
            return [d] if 0 <= d < len(entries) else []
        if kernel == "ALL":
            return list(range(len(entries)))
        found = []
        if kernel.startswith("TITLE="):
            t = kernel[6:]
            return [i for i, e in enumerate(entries) if e.title == t and has_kernel[i]]
        want = kernel[len(PREFIX):] if len(kernel) >= len(PREFIX) else None
        for i, e in enumerate(entries):
            if e.kernel_line is None or want is None:
                continue
            _indent, el = self.cfg.kernel_elements(e)
            if len(el) >= 2 and self._rootspec_strip(el[1][0]) == want:
                found.append(i)
        return found

    def display_entry(self, i: int) -> None:
        e = self.cfg.entries[i]
        w = self.out.write
        w(f"index={i}\n")
        if e.kernel_line is None:
            w("non linux entry\n")
            return
        _indent, el = self.cfg.kernel_elements(e)
        path = el[1][0]
        w(f"kernel={path}\n" if path.startswith(PREFIX) else f"kernel={PREFIX}{path}\n")
        root = None
        if len(el) >= 3:
            parts = []
            for item, ws in el[2:]:
                if item.startswith("root="):
                    root = item[5:]
                else:
                    parts.append(item + ws)
            w('args="' + "".join(parts) + '"\n')
        if root is not None:
            if root.endswith('"'):
                root = root[:-1]
            w(f"root={root}\n")
        if e.initrd_line is not None:
            _i, iel = bootloader.split_elements(self.cfg.lines[e.initrd_line])
            if len(iel) >= 2:
                first = iel[1][0]
                s = "initrd=" if first.startswith(PREFIX) else f"initrd={PREFIX}"
                w(s + "".join(item + ws for item, ws in iel[1:]) + "\n")
        w(f"title={e.title}\n")

    def update(self, image: str, add: Optional[str], remove: Optional[str]) -> int:
        try:
            new_args = shlex.split(add) if add else []
            old_args = shlex.split(remove) if remove else []
        except ValueError:
            self.err.write(f"grubby: error separating arguments '{add if add else remove}'\n")
            return 1
        for i in self.find(image):
            e = self.cfg.entries[i]
            if e.kernel_line is None:
                continue
            indent, el = self.cfg.kernel_elements(e)
            used = [False] * len(el)
            for arg in new_args:
                j = 2
                while j < len(el):
                    if not used[j] and _key(el[j][0]) == _key(arg):
                        used[j] = True
                        break
                    j += 1
                if j < len(el):
                    el[j][0] = arg
                else:
                    # insertElement at the end: the end-of-line whitespace moves forward
                    if el[-1][1] == "":
                        el[-1][1] = " "
                        el.append([arg, ""])
                    else:
                        el.append([arg, " "])
                    used.append(True)
            for arg in old_args:
                for j in range(2, len(el)):
                    if _key(el[j][0]) == _key(arg):
                        if j > 1:
                            el[j - 1][1] = el[j][1]
                        del el[j]
                        break
            self.cfg.set_kernel_elements(e, indent, el)
        return 0

    def write(self) -> None:
        self.cfg.save()
        # writeDefault: grub2-editenv set saved_entry=<title of the default entry>
        if self.cfg.default_mode() == "saved" and 0 <= self.default_image < len(self.cfg.entries):
            self.env["saved_entry"] = self.cfg.entries[self.default_image].title
            write_grubenv(self.env_path, self.env)

    def suitable(self, i: int, bad_ok: bool) -> bool:
        e = self.cfg.entries[i]
        if e.kernel_line is None:
            return False
        if bad_ok:
            return True
        _indent, el = self.cfg.kernel_elements(e)
        if len(el) < 2:
            return False
        return self.host.path(PREFIX + "/" + self._rootspec_strip(el[1][0]).lstrip("/")).exists()


def resolve_in_host(host: Host, path: str) -> str:
    """Follow symlinks (as grubby's writeConfig does) without ever leaving the host tree."""
    p = Path(path)
    for _ in range(10):
        if not p.is_symlink():
            break
        target = os.readlink(p)
        p = host.path(target) if target.startswith("/") else (p.parent / target)
        p = Path(os.path.normpath(str(p)))
    return str(p)


def c_main(host: Host, argv: Sequence[str], out: TextIO, err: TextIO) -> int:
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
    actions = ("remove-kernel", "add-kernel", "default-kernel", "set-default", "info", "bootloader-probe",
               "update-kernel", "remove-multiboot", "default-index", "default-title", "set-default-index")
    if not any(a in o for a in actions):
        err.write("grubby: no action specified\n")
        return 1
    config = o.get("config-file")
    if config is None:
        for cand in ("/etc/grub2-efi.cfg", "/etc/grub2.cfg"):
            if host.exists(cand) and os.path.exists(host.path(cand)):
                config = str(host.path(cand))
                break
    if config is None:
        out.write("Could not find bootloader configuration file.\n")
        return 1
    if not os.path.exists(config):
        err.write(f"error opening {config} for read: No such file or directory\n")
        return 1
    g = CGrubby(host, resolve_in_host(host, config), o.get("env"), out, err)
    bad_ok = "bad-image-okay" in o
    d = g.default_image
    if "default-kernel" in o or "default-title" in o or "default-index" in o:
        if d == -1:
            return 0
        if d == -3:
            d = 0
        if "default-index" in o:
            out.write(f"{d}\n")
            return 0
        if d >= len(g.cfg.entries):
            return 0
        if "default-kernel" in o:
            if not g.suitable(d, bad_ok):
                return 0
            _indent, el = g.cfg.kernel_elements(g.cfg.entries[d])
            out.write(PREFIX + g._rootspec_strip(el[1][0]) + "\n")
        else:
            out.write(g.cfg.entries[d].title + "\n")
        return 0
    if "info" in o:
        found = g.find(o["info"])
        if not found:
            err.write("grubby: kernel not found\n")
            return 1
        for i in found:
            g.display_entry(i)
        return 0
    if "add-kernel" in o or "remove-kernel" in o:
        err.write("grubby (rtkdump-simhost): --add-kernel/--remove-kernel are not simulated\n")
        return 1
    if "set-default" in o:
        found = g.find(o["set-default"])
        g.default_image = found[0] if found else -1
    elif "set-default-index" in o:
        try:
            idx = int(o["set-default-index"])
        except ValueError:
            err.write("grubby: bad argument --set-default-index: invalid numeric value\n")
            return 1
        g.default_image = idx if idx < len(g.cfg.entries) else -1
    if "update-kernel" in o and ("args" in o or "remove-args" in o):
        rc = g.update(o["update-kernel"], o.get("args"), o.get("remove-args"))
        if rc:
            return rc
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
