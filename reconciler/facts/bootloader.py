"""The bootloader fact: boot entries read directly (BLS) or from grubby, the default on RHEL 7.

The decisions (which grubby-bls, /boot a mount, RHEL 7's default) are in
:mod:`.bootread`; this is the reading, through the Host and the command batch.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import List, Optional

from ..host import CommandResult, Host
from . import bls, boot, bootread
from .commands import Commands
from .model import BootEntry, BootLoader, Fact, OsRelease, ParseError


class BootLoaderReader:
    """The boot entries: from the BLS files when grubby-bls's output can be reproduced, else grubby.

    ``want`` (before the commands run) decides and asks for the grubby calls it
    needs; ``fact`` (after) builds the BootLoader.  See :mod:`.bootread`.
    """

    def __init__(self, host: Host, release: Fact[OsRelease], commands: Commands):
        self.host, self.commands = host, commands
        if release.known:
            self.bls = release.known_value.bls
        else:  # the tree itself says which boot loader layout it has
            self.bls = host.is_dir("/boot/loader/entries")
        self.direct: Optional[Fact[BootLoader]] = None
        if self.bls:
            self.direct = self._read_bls()
        self.info = self.default = None
        if self.direct is None:
            self.info = commands.want(host.grubby(self.bls, "--info=ALL"))
            if self.bls:  # on RHEL 7 the default comes from grub.cfg + grubenv when it can
                self.default = commands.want(host.grubby(self.bls, "--default-kernel"))

    def _read_bls(self) -> Optional[Fact[BootLoader]]:
        flavor, _why = bootread.grubby_bls_flavor(self.host)
        separate, mounts = bootread.boot_is_separate_mount(self.host)
        if flavor is None or separate is None:
            return None
        try:
            entries, grubenv = bootread.read_bls_files(self.host)
        except OSError:
            return None
        source = (
            f"file {bootread.ENTRIES_DIR}/*.conf + {bootread.GRUBENV} + {mounts}"
            f" (as grubby-bls {flavor.name.split()[0]} prints them)"
        )
        try:
            return Fact.of("bootloader", source, bls.bls_boot_entries(entries, grubenv, separate, flavor))
        except ParseError as exc:
            return Fact.missing("bootloader", source, f"boot entries: cannot parse: {exc}")

    def fact(self) -> Fact[BootLoader]:
        if self.direct is not None:
            return self.direct
        assert self.info is not None
        info = self.commands.fact(self.info, "bootloader", _grubby_info)
        if not info.known:
            return info
        entries = info.known_value
        if self.default is None:
            derived = self._grub2_default(list(entries))
            if derived is not None:
                loader = BootLoader(style="grub2", entries=entries, default_kernel=derived)
                return Fact.of("bootloader", f"{info.source}; saved_entry of {bootread.GRUBENV}", loader)
            self.default = tuple(self.host.grubby(self.bls, "--default-kernel"))
        default = self.commands.fact(self.default, "bootloader", _grubby_default)
        if not default.known:
            return Fact.missing("bootloader", default.source, default.unknown or "")
        loader = BootLoader(
            style="bls" if self.bls else "grub2", entries=entries, default_kernel=default.value
        )
        return Fact.of("bootloader", f"{info.source}; {default.source}", loader)

    def _grub2_default(self, entries: List[BootEntry]) -> Optional[str]:
        grub_cfg = self.host.grub_cfg()
        env_path = str(PurePosixPath(grub_cfg).parent / "grubenv")
        try:
            cfg_text, env_text = self.host.read_text(grub_cfg), self.host.read_text(env_path)
        except OSError:
            return None
        return bootread.grub2_default_kernel(entries, cfg_text, env_text)


def gather_bootloader(host: Host, release: Fact[OsRelease]) -> Fact[BootLoader]:
    commands = Commands(host)
    reader = BootLoaderReader(host, release, commands)
    commands.run()
    return reader.fact()


def _grubby_info(result: CommandResult):
    if result.returncode != 0:
        raise ParseError(result.stderr.strip() or f"exit {result.returncode}")
    return boot.parse_grubby_info(result.stdout)


def _grubby_default(result: CommandResult):
    if result.returncode != 0:
        raise ParseError(result.stderr.strip() or f"exit {result.returncode}")
    return boot.parse_grubby_default_kernel(result.stdout)
