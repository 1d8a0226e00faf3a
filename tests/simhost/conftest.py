"""Fixtures for the rtkdump-simhost tests: one RPM repository cache per session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest
from _simhost_helpers import RELEASES, TOOLS_OK  # noqa: E402  (also puts the repo on sys.path)


@pytest.fixture(scope="session")
def simhost_cache(tmp_path_factory) -> Path:
    if not TOOLS_OK:
        pytest.skip("needs Debian's rpm, rpmbuild, dnf and createrepo-c")
    """Build the four repositories once; every create/exec in the session reuses them."""
    cache = tmp_path_factory.mktemp("simhost-cache")
    old = os.environ.get("SIMHOST_CACHE")
    os.environ["SIMHOST_CACHE"] = str(cache)
    from simhost import releases, repo

    for v in RELEASES:
        repo.build_repo(releases.get(v))
    yield cache
    if old is None:
        os.environ.pop("SIMHOST_CACHE", None)
    else:
        os.environ["SIMHOST_CACHE"] = old


@pytest.fixture
def make_host(simhost_cache, tmp_path) -> Callable[..., Path]:
    from simhost.create import create

    counter = {"n": 0}

    def make(release: str, ram: str = "8G", **kw) -> Path:
        counter["n"] += 1
        root = tmp_path / f"host{counter['n']}-{release}"
        create(root, release, ram=ram, **kw)
        return root

    return make


@pytest.fixture
def in_host(monkeypatch):
    """Point the in-process stand-ins (grubby.main, systemctl.main, ...) at a host."""

    def use(root: Path) -> None:
        monkeypatch.setenv("SIMHOST_ROOT", str(root))

    return use
