"""sha256 without loading OpenSSL when the interpreter has its own.

``import hashlib`` maps libcrypto (about 3.5 MiB of RSS, a sixth of a
converged run's); CPython's built-in ``_sha256`` (``_sha2`` since 3.12) gives
the same digests.  Interpreters built without it (RHEL 9's python3 keeps only
blake2 built in) use hashlib.
"""

from __future__ import annotations

from typing import Any, Callable

sha256: Callable[..., Any]
try:
    from _sha256 import sha256  # type: ignore  # Python <= 3.11
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha2 import sha256  # type: ignore  # Python >= 3.12
    except ImportError:
        from hashlib import sha256  # type: ignore[no-redef,unused-ignore]


def sha256_hex(data: bytes) -> str:
    return str(sha256(data).hexdigest())
