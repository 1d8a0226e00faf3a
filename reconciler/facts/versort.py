"""Version orders grubby-bls sorts BLS entries by: GNU ``sort -V`` (filevercmp) and rpm-sort (rpmvercmp).

Pure ports of gnulib's filevercmp.c and rpm's rpmvercmp/rpm-sort.c, tested against the real
``sort -V`` and rpm-sort (tests/test_bls_reader.py).  Used by ``bls.py``.
"""

from __future__ import annotations

import functools
from typing import List, Sequence, Tuple


def _c_isdigit(c: str) -> bool:
    return "0" <= c <= "9"


def _c_isalpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _order(s: str, pos: int) -> int:
    # gnulib filevercmp.c order(): digits 0, letters themselves, '~' before all, the rest after letters
    if pos == len(s):
        return 0
    c = s[pos]
    if _c_isdigit(c):
        return 0
    if _c_isalpha(c):
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not _c_isdigit(a[i])) or (j < len(b) and not _c_isdigit(b[j])):
            ac, bc = _order(a, i), _order(b, j)
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and j < len(b) and _c_isdigit(a[i]) and _c_isdigit(b[j]):
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and _c_isdigit(a[i]):
            return 1
        if j < len(b) and _c_isdigit(b[j]):
            return -1
        if first_diff:
            return first_diff
    return 0


def _file_prefixlen(s: str) -> int:
    """Length of s without its suffix matching (\\.[A-Za-z~][A-Za-z0-9~]*)*$ (gnulib file_prefixlen).

    As in coreutils 9.1 (checked against its sort -V), the suffix may be the
    whole string (".a"); later gnulib keeps one character.  BLS ids never
    start with '.', so either gives their order.
    """
    i = prefixlen = 0
    n = len(s)
    while True:
        while i + 1 < n and s[i] == "." and (_c_isalpha(s[i + 1]) or s[i + 1] == "~"):
            i += 2
            while i < n and (_c_isalpha(s[i]) or _c_isdigit(s[i]) or s[i] == "~"):
                i += 1
        if i >= n:
            return prefixlen
        i += 1
        prefixlen = i


def filevercmp(a: str, b: str) -> int:
    """gnulib filevercmp (coreutils >= 9.1, the ``sort -V`` key comparison); <0, 0, >0."""
    if not a:
        return -1 if b else 0
    if not b:
        return 1
    if a[0] == ".":
        if b[0] != ".":
            return -1
        for special in (".", ".."):
            if a == special:
                return 0 if b == special else -1
            if b == special:
                return 1
    elif b[0] == ".":
        return 1
    ap, bp = _file_prefixlen(a), _file_prefixlen(b)
    result = _verrevcmp(a[:ap], b[:bp])
    if result or (ap == len(a) and bp == len(b)):
        return result
    return _verrevcmp(a, b)


def _sort_v_key_cmp(a: str, b: str) -> int:
    diff = filevercmp(a, b)
    if diff:
        return diff
    # sort's last-resort comparison of whole lines (C locale: bytes)
    ab, bb = a.encode(), b.encode()
    return (ab > bb) - (ab < bb)


def sort_v(lines: Sequence[str], reverse: bool = False) -> List[str]:
    """What ``LC_ALL=C sort -V`` (``-Vr`` with reverse) prints for these lines."""
    out = sorted(lines, key=functools.cmp_to_key(_sort_v_key_cmp))
    # -r reverses the key comparison and the last resort alike: the exact reverse
    return out[::-1] if reverse else out


def rpmvercmp(a: str, b: str) -> int:
    """rpm's rpmvercmp (with ``~`` and ``^``): -1, 0, 1."""
    if a == b:
        return 0
    i = j = 0
    na, nb = len(a), len(b)

    def alnum(c: str) -> bool:
        return _c_isdigit(c) or _c_isalpha(c)

    while i < na or j < nb:
        while i < na and not alnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < nb and not alnum(b[j]) and b[j] not in "~^":
            j += 1
        ca = a[i] if i < na else ""
        cb = b[j] if j < nb else ""
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i += 1
            j += 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i += 1
            j += 1
            continue
        if not (ca and cb):
            break
        si, sj = i, j
        if _c_isdigit(ca):
            while si < na and _c_isdigit(a[si]):
                si += 1
            while sj < nb and _c_isdigit(b[sj]):
                sj += 1
            isnum = True
        else:
            while si < na and _c_isalpha(a[si]):
                si += 1
            while sj < nb and _c_isalpha(b[sj]):
                sj += 1
            isnum = False
        if sj == j:  # segments of different types: numeric is newer
            return 1 if isnum else -1
        one, two = a[i:si], b[j:sj]
        if isnum:
            one, two = one.lstrip("0"), two.lstrip("0")
            if len(one) != len(two):
                return 1 if len(one) > len(two) else -1
        if one != two:
            return 1 if one.encode() > two.encode() else -1
        i, j = si, sj
    if i >= na and j >= nb:
        return 0
    return -1 if i >= na else 1


def _split_nvr(s: str) -> Tuple[str, str, str]:
    # rpm-sort.c split_package_string: release after the last '-', version after the one before
    name, sep, release = s.rpartition("-")
    if not sep:
        return s, "", ""
    name2, sep2, version = name.rpartition("-")
    if not sep2:
        return name, release, ""
    return name2, version, release


def _rpmnvrcmp(a: str, b: str) -> int:
    for x, y in zip(_split_nvr(a), _split_nvr(b)):
        diff = rpmvercmp(x, y)
        if diff:
            return diff
    return 0


def rpm_sort(lines: Sequence[str]) -> List[str]:
    """What grubby's ``rpm-sort -c rpmnvrcmp`` prints (ascending; glibc's merge sort is stable)."""
    return sorted((line for line in lines if line), key=functools.cmp_to_key(_rpmnvrcmp))
