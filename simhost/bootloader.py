"""Boot loader configuration of the simulated host: BLS snippets (8/9) and grub.cfg (7).

Used by the grubby stand-in (which edits it) and by the simulated firmware /
GRUB at boot (which reads the default entry and its arguments).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .host import version_sort_desc

# ---------------------------------------------------------------------------
# BLS
# ---------------------------------------------------------------------------


@dataclass
class BlsEntry:
    path: Path
    id: str
    lines: List[str]

    def get(self, key: str) -> str:
        """grubby-bls get_bls_value: grep "^key[ \\t]" | sed "s!^key[ \\t]*!!" (first line wins here)."""
        for line in self.lines:
            if line.startswith(key + " ") or line.startswith(key + "\t"):
                return re.sub(r"^" + re.escape(key) + r"[ \t]*", "", line)
        return ""

    def set(self, key: str, value: str) -> None:
        """grubby-bls set_bls_value: sed "s/^key.*/key value/" (every matching line)."""
        value = " ".join(value.split())  # echo $value
        self.lines = [f"{key} {value}" if line.startswith(key) else line for line in self.lines]

    @property
    def title(self) -> str:
        return self.get("title")

    @property
    def linux(self) -> str:
        return self.get("linux")

    @property
    def initrd(self) -> str:
        return self.get("initrd")

    @property
    def options(self) -> str:
        return self.get("options")

    def save(self) -> None:
        from .host import write_atomic

        write_atomic(self.path, "\n".join(self.lines) + "\n")


def load_bls(blsdir: Path) -> List[BlsEntry]:
    blsdir = Path(blsdir)
    if not blsdir.is_dir():
        return []
    ids = [p.name[:-5] for p in blsdir.iterdir() if p.name.endswith(".conf") and p.exists()]
    out = []
    for bid in version_sort_desc(ids):
        p = blsdir / f"{bid}.conf"
        out.append(BlsEntry(p, bid, p.read_text(errors="surrogateescape").splitlines()))
    return out


def bls_default_index(entries: List[BlsEntry], env: Dict[str, str]) -> Optional[int]:
    """grubby-bls get_default_index: None when saved_entry names nothing (prints an empty line)."""
    default = env.get("saved_entry", "")
    index = -1
    if default == "":
        index = 0
    elif re.fullmatch(r"[0-9]+", default):
        index = int(default)
    for i, e in enumerate(entries):
        if i == index:
            return i
        if default == e.id or default == e.title:
            return i
    return None


def expand_kernelopts(options: str, env: Dict[str, str]) -> str:
    """grubby-bls get_bls_args (2021+): only $kernelopts is expanded, other $vars stay literal."""
    args = " ".join(options.split())
    if "$kernelopts" in args.split():
        value = env.get("kernelopts", "")
        if value:
            args = args.replace("$kernelopts", value, 1)
    return " ".join(args.split())


_GRUB_VAR = re.compile(r"\$(\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def grub_expand(text: str, env: Dict[str, str]) -> str:
    """What GRUB itself does with $var / ${var} on a linux/options line (unset -> empty)."""
    return _GRUB_VAR.sub(lambda m: env.get(m.group(2) or m.group(3), ""), text)


# ---------------------------------------------------------------------------
# grub.cfg (RHEL 7, C grubby)
# ---------------------------------------------------------------------------

KERNEL_KEYS = ("linux", "linux16", "linuxefi")
INITRD_KEYS = ("initrd", "initrd16", "initrdefi")


@dataclass
class MenuEntry:
    start: int  # line index of "menuentry"
    end: int  # line index of the closing "}"
    title: str
    kernel_line: Optional[int] = None
    initrd_line: Optional[int] = None
    extra: Dict[str, str] = field(default_factory=dict)


def _menuentry_title(line: str) -> str:
    m = re.match(r"\s*menuentry\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))", line)
    if not m:
        return ""
    return next(g for g in m.groups() if g is not None)


class GrubCfg:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lines: List[str] = self.path.read_text(errors="surrogateescape").split("\n")
        self.trailing_newline = self.lines and self.lines[-1] == ""
        if self.trailing_newline:
            self.lines = self.lines[:-1]
        self.entries: List[MenuEntry] = []
        self._parse()

    def _parse(self) -> None:
        cur: Optional[MenuEntry] = None
        for i, line in enumerate(self.lines):
            s = line.strip()
            if cur is None:
                if re.match(r"menuentry\s", s):
                    cur = MenuEntry(start=i, end=i, title=_menuentry_title(line))
                continue
            word = s.split(None, 1)[0] if s else ""
            if word in KERNEL_KEYS and cur.kernel_line is None:
                cur.kernel_line = i
            elif word in INITRD_KEYS and cur.initrd_line is None:
                cur.initrd_line = i
            elif s == "}":
                cur.end = i
                self.entries.append(cur)
                cur = None

    def save(self) -> None:
        from .host import write_atomic

        write_atomic(self.path, "\n".join(self.lines) + ("\n" if self.trailing_newline else ""))

    # kernel line split into (indent, [(item, trailing-whitespace)...]) like grubby's lineElement
    def kernel_elements(self, e: MenuEntry) -> Tuple[str, List[List[str]]]:
        assert e.kernel_line is not None
        return split_elements(self.lines[e.kernel_line])

    def set_kernel_elements(self, e: MenuEntry, indent: str, elems: List[List[str]]) -> None:
        assert e.kernel_line is not None
        self.lines[e.kernel_line] = indent + "".join(item + ws for item, ws in elems)

    def default_mode(self) -> str:
        """'saved' when grub.cfg says set default="${saved_entry}", else the literal value."""
        for line in self.lines:
            m = re.match(r"\s*set default=(.*)$", line)
            if m:
                val = m.group(1).strip()
                if val.startswith('"${saved_entry}"'):
                    return "saved"
                if "next_entry" in val:
                    continue
                return val.strip("\"' ")
        return ""

    def default_index(self, env: Dict[str, str]) -> int:
        """C grubby readConfig: -3 (DEFAULT_SAVED_GRUB2) when saved_entry matches nothing."""
        mode = self.default_mode()
        if mode == "saved":
            saved = env.get("saved_entry")
            if saved is None:
                return -3
            if re.fullmatch(r"[0-9]+", saved):
                idx = int(saved)
                return idx if idx < len(self.entries) else -3
            for i, e in enumerate(self.entries):
                if e.title == saved:
                    return i
            return -3
        if mode == "":
            return 0
        try:
            return int(mode)
        except ValueError:
            return -1

    def boot_index(self, env: Dict[str, str]) -> int:
        """What GRUB boots: next_entry, saved_entry (title, id or index), else entry 0."""
        for key in ("next_entry", "saved_entry"):
            val = env.get(key)
            if not val:
                continue
            if re.fullmatch(r"[0-9]+", val) and int(val) < len(self.entries):
                return int(val)
            for i, e in enumerate(self.entries):
                if e.title == val or self._entry_id(e) == val:
                    return i
        idx = self.default_index(env)
        return idx if 0 <= idx < len(self.entries) else 0

    def _entry_id(self, e: MenuEntry) -> str:
        m = re.search(r"\$menuentry_id_option\s+'([^']*)'", self.lines[e.start])
        return m.group(1) if m else ""


def split_elements(line: str) -> Tuple[str, List[List[str]]]:
    """Split a config line into leading indent and [item, following-whitespace] pairs."""
    m = re.match(r"^(\s*)(.*)$", line, re.S)
    assert m is not None  # matches every string
    indent, rest = m.group(1), m.group(2)
    elems = [[a, b] for a, b in re.findall(r"(\S+)(\s*)", rest)]
    return indent, elems
