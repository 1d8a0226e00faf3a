"""Pure parser for ``rpm -q NAME...`` (LC_ALL=C).

rpm prints one ``NAME-VERSION-RELEASE.ARCH`` line per installed instance (rpmdb
order) and ``package NAME is not installed`` on stdout for a miss; the exit code
is the number of arguments that matched nothing.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from ..host import CommandResult
from .model import InstalledPackages, ParseError

__all__ = ["parse_rpm_query"]

_NOT_INSTALLED = re.compile(r"^package (\S+) is not installed$")
# rpm forbids '-' in VERSION and RELEASE, so an NVRA splits as N-V-R.A at its last
# two hyphens; NAME itself may contain hyphens (kernel-rt, kexec-tools).
_NVRA = re.compile(r"^(?P<name>\S+)-(?P<version>[0-9][^\s-]*)-(?P<release>[^\s-]+)$")


def _owner(line: str, names: Sequence[str]) -> Optional[str]:
    """The asked name this NVRA line belongs to, or None."""
    m = _NVRA.match(line)
    if m and m.group("name") in names:
        return m.group("name")
    return None


def parse_rpm_query(result: CommandResult, names: Sequence[str]) -> InstalledPackages:
    """``rpm -q NAMES...`` -> which names are installed (all their NVRAs) and which are missing.

    A line is split as N-V-R.A at its last two hyphens (rpm forbids '-' in
    VERSION and RELEASE) and the version must start with a digit, so
    ``kernel-rt-3.10.0-...`` belongs to ``kernel-rt`` and never to ``kernel``.
    ``names`` are plain package names (not NVR specs or provides).  Raises ParseError when the output
    does not add up: exit code != number of misses (rpm failed for another
    reason), an ``error:`` line on stderr (e.g. a broken rpmdb, which also
    reports every name as not installed), a line no asked name explains, or a
    name rpm said nothing about.
    """
    if not names:
        raise ParseError("rpm -q was asked about no package names")
    if result.timed_out:
        raise ParseError(f"rpm -q {' '.join(names)} timed out")
    errors = [ln.strip() for ln in result.stderr.splitlines() if ln.strip().startswith("error:")]
    if errors:
        raise ParseError(f"rpm -q {' '.join(names)} failed (exit {result.returncode}): {errors[0]}")

    unique: List[str] = list(dict.fromkeys(names))
    installed: Dict[str, List[str]] = {}
    missing_lines: List[str] = []
    for raw in result.stdout.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _NOT_INSTALLED.match(line)
        if m:
            if m.group(1) not in unique:
                raise ParseError(f"rpm -q reported {m.group(1)!r} as not installed, which was not asked for")
            missing_lines.append(m.group(1))
            continue
        owner = _owner(line, unique)
        if owner is None:
            raise ParseError(f"rpm -q printed a line that is not an NVRA of {', '.join(unique)}: {line!r}")
        installed.setdefault(owner, []).append(line)

    # rpm's exit code is the number of misses, capped at 254 (many names asked)
    if result.returncode != min(len(missing_lines), 254):
        detail = result.stderr.strip().splitlines()
        hint = f": {detail[0]}" if detail else ""
        raise ParseError(
            f"rpm -q {' '.join(names)} exited {result.returncode} but reported "
            f"{len(missing_lines)} missing package(s); rpm failed for another reason{hint}"
        )
    missing = tuple(n for n in unique if n in missing_lines)
    both = [n for n in missing if n in installed]
    if both:
        raise ParseError(f"rpm -q reported {both[0]!r} both installed and not installed")
    silent = [n for n in unique if n not in installed and n not in missing]
    if silent:
        raise ParseError(f"rpm -q printed nothing about {silent[0]!r}")
    return InstalledPackages(
        installed={n: tuple(installed[n]) for n in unique if n in installed},
        missing=missing,
    )
