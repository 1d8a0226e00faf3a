"""What the real kdumpctl / mkdumprd of each RHEL release accepts in /etc/kdump.conf.

Pure module: text in, findings out.  No I/O, no imports from the rest of
rtkdump, Python 3.8 compatible.  Host-dependent checks go through a
``HostView`` (plain callables), so the same code serves ``rtkdump validate``
(``host=None``: state-only rules) and ``rtkdump plan`` (a HostView built from
the facts), and the simulated kdumpctl.

Every rule is reproduced from the shell code of one release; the rule ids are
the rows of docs/kdumpctl-rules.md, which gives the file, function and commit
each rule was read from.  Messages are the real tool's wording without the
``kdump: `` prefix that the 8.x/9.x/10.x logger adds (RHEL 7 prints bare
lines).  ``origin`` says who prints them: ``kdumpctl``, ``mkdumprd`` (run by
kdumpctl start when the kdump initramfs is rebuilt, which every kdump.conf
change causes), ``makedumpfile`` (``--check-params``, called by mkdumprd), or
``rtkdump`` for our own refusals of text the real tool accepts but reads
differently from what was meant (quotes, RHEL 7's ``cut -d' '``, ...).

The real tool stops at the first error; ``check_kdump_conf`` reports every
problem, in file order, so one run shows everything to fix.
"""

from __future__ import annotations

from typing import List, Optional

from .common import _check_rtkdump_text
from .el7 import _check_el7
from .hostview import HostView
from .modern import _check_modern
from .profiles import (
    CONF_PATH,
    DEFAULT_SSHKEY,
    FAILURE_ACTIONS,
    FINAL_ACTIONS,
    PROFILES,
    RELEASES,
    RULES,
    Finding,
    Profile,
    profile,
    release_for,
    rtkdump_verdict,
    tool_verdict,
)
from .reading import _Out, _read_el7, _read_modern, _split_lines

__all__ = [
    "CONF_PATH",
    "DEFAULT_SSHKEY",
    "FAILURE_ACTIONS",
    "FINAL_ACTIONS",
    "PROFILES",
    "RELEASES",
    "RULES",
    "Finding",
    "HostView",
    "Profile",
    "check_kdump_conf",
    "profile",
    "release_for",
    "render_value",
    "rtkdump_verdict",
    "tool_verdict",
]


def check_kdump_conf(text: str, release: str, host: Optional[HostView] = None) -> List[Finding]:
    """Findings for ``text`` as /etc/kdump.conf on ``release``, in file order.

    Without ``host`` only the rules that depend on the text alone run.
    """
    prof = profile(release)
    lines = _split_lines(text)
    out = _Out()
    _check_rtkdump_text(lines, prof, out)
    if prof.generation == "el7":
        entries = _read_el7(lines)
        _check_el7(lines, entries, prof, host, out)
    else:
        entries = _read_modern(lines, prof.strips_quotes)
        _check_modern(lines, entries, prof, host, out)
    return sorted(out.items, key=lambda f: (f.lineno is None, f.lineno or 0))


# --- rendering -------------------------------------------------------------------
def render_value(value: str, release: str) -> str:
    """The text to write after ``<directive> `` on ``release``; ValueError when it cannot be written.

    Never quote: no supported release strips quotes (kdump-utils 1.0.59+ does),
    and a value with spaces needs none (the value is the rest of the line on
    every release).  So a value that must be quoted to mean what it says, or
    that is itself wrapped in quotes, is refused rather than rendered two ways.
    """
    profile(release)
    if not isinstance(value, str) or value == "":
        raise ValueError("empty kdump.conf value: kdumpctl refuses it ('Invalid kdump config value')")
    if any(c in value for c in "\n\r"):
        raise ValueError(f"kdump.conf value must be one line: {value!r}")
    if "#" in value:
        raise ValueError(f"'#' starts a comment in kdump.conf on every release: {value!r}")
    if value != value.strip(" \t"):
        raise ValueError(f"leading/trailing blanks are dropped by kdumpctl: {value!r}")
    if "\t" in value:
        raise ValueError(
            f"tab in a kdump.conf value: RHEL 7 splits on single spaces, write spaces: {value!r}"
        )
    if value.startswith('"') or value.endswith('"'):
        raise ValueError(
            f"quoted kdump.conf value {value!r}: kept literally before kdump-utils 1.0.59, stripped after; "
            "write it without quotes"
        )
    if "\\" in value and release == "7.9":
        raise ValueError(f"backslash in a RHEL 7 kdump.conf value (`read` without -r drops it): {value!r}")
    if "  " in value and release == "7.9":
        # harmless for kdumpctl, but the RHEL 7 `cut -d' '` readers see empty fields
        raise ValueError(f"double space in a RHEL 7 kdump.conf value: {value!r}")
    return value
