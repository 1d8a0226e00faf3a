"""kdumpctl's crashkernel verbs on the simulated host: reset-crashkernel and the kernel-install hooks.

Split from simhost/kdumpctl.py; they follow the real kdumpctl of each release's
build (see that module and releases.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Sequence, Tuple

from .kdumpcheck import iter_config

if TYPE_CHECKING:
    from .kdumpctl import Ctl

# ---------------------------------------------------------------------------
# RHEL 9 crashkernel helpers (kdumpctl get-default-crashkernel / reset-crashkernel)
# ---------------------------------------------------------------------------


def reset_crashkernel(ctl: Ctl, args: Sequence[str]) -> int:
    import io

    from . import grubby

    kernel = None
    for a in args:
        if a.startswith("--kernel="):
            kernel = a.split("=", 1)[1]
        elif a.startswith("--fadump="):
            ctl.info("Option --fadump only valid on PPC")
            return 1
        elif a == "--reboot":
            pass
        else:
            ctl.info("Usage: kdumpctl reset-crashkernel [--kernel=path_to_kernel] [--reboot]")
            return 1
    if kernel is None:
        kernel = f"/boot/vmlinuz-{ctl.kdump_kernelver()}"
    out, err = io.StringIO(), io.StringIO()
    rc = grubby.main(["--info", kernel], out, err)
    if rc != 0:
        ctl.info(f"Invalid --kernel={kernel}")
        return 1
    blocks = _info_blocks(out.getvalue())
    for b in blocks:
        cur = None
        for tok in b.get("args", "").split():
            if tok.startswith("crashkernel="):
                cur = tok.split("=", 1)[1]
        default = ctl.rel.default_crashkernel or ""
        if cur == default:
            continue
        o2, e2 = io.StringIO(), io.StringIO()
        grubby.main(["--update-kernel", b["kernel"], "--args", f"crashkernel={default}"], o2, e2)
        ctl.info(
            f"Updated crashkernel={default} for kernel={b['kernel']}. "
            "Please reboot the system for the change to take effect."
        )
    return 0


def _grubby(argv: List[str]) -> Tuple[int, str]:
    import io

    from . import grubby

    out, err = io.StringIO(), io.StringIO()
    rc = grubby.main(argv, out, err)
    return rc, out.getvalue()


def _conf_val(ctl: Ctl, key: str) -> str:
    """kdump_get_conf_val: the LAST `key value` line of kdump.conf wins (sed h / x;p)."""
    val = ""
    for opt, v in iter_config(ctl.config_text() or ""):
        if opt == key:
            val = v
    return val


def _find_kernel_path_by_release(release: str, ere: bool) -> str:
    """grubby --info ALL | grep "^kernel=.*$_release\"$" (2.0.25) or the ERE form with an optional
    /\\w+ and '+' escaped (64d93c8, 2023-06)."""
    _rc, text = _grubby(["--info", "ALL"])
    pat = re.escape(release) + (r'(/\w+)?"$' if ere else r'"$')
    hits = [line for line in text.splitlines() if re.match(r"^kernel=.*" + pat, line)]
    return "\n".join(re.sub(r'^kernel="(.*)"$', r"\1", h) for h in hits)


def _entry_param(kernel: str, param: str) -> str:
    """get_grub_kernel_boot_parameter: sed -En "/^args=.*$/{s/^.*(\\s|\")${_para}=(\\S*).*\"$/\2/p;q}"."""
    _rc, text = _grubby([f"--info={kernel}"])
    for line in text.splitlines():
        if line.startswith("args="):
            m = re.match(r'^.*(\s|")' + re.escape(param) + r'=(\S*).*"$', line)
            return m.group(2) if m else ""
    return ""


def should_reset(ctl: Ctl) -> bool:
    """_should_reset_crashkernel (0ffce0e, 2023-10) or, before it, the auto_reset_crashkernel test."""
    if _conf_val(ctl, "auto_reset_crashkernel") == "no":
        return False
    if ctl.rel.crashkernel_hook == "copy-running":
        return True
    from .systemctl import Units

    return Units(ctl.host).enabled("kdump.service")


def _update_crashkernel(ctl: Ctl, kernel: str) -> None:
    """_update_crashkernel (5b31b09+): any value other than the default is replaced."""
    old = _entry_param(kernel, "crashkernel")
    new = ctl.rel.default_crashkernel or ""
    if old == new:
        return
    _grubby(["--update-kernel", kernel, "--args", f"crashkernel={new}"])
    ctl.info(
        f"For kernel={kernel}, crashkernel={new} now. Please reboot the system for the change to take "
        f"effect. Note if you don't want {ctl.rel.hook_owner_word} to manage the crashkernel kernel "
        "parameter, please set auto_reset_crashkernel=no in /etc/kdump.conf."
    )


def reset_for_installed_kernel(ctl: Ctl, kver: str) -> int:
    """kdumpctl _reset-crashkernel-for-installed_kernel KVER (what 92-crashkernel.install runs)."""
    if not should_reset(ctl):
        return 0
    if ctl.rel.crashkernel_hook == "copy-running":
        # Fedora kexec-tools 2.0.25-4 (bc4196a): copy the running kernel's value
        installed = _find_kernel_path_by_release(kver, ere=False)
        if not installed:
            ctl.error(f"kernel {kver} doesn't exist")
            return 1
        running = _find_kernel_path_by_release(ctl.host.uname_r(), ere=False)
        if not running:
            ctl.error(f"kernel {ctl.host.uname_r()} doesn't exist")
            ctl.error("Couldn't find current running kernel")
            return 1
        ck = _entry_param(installed, "crashkernel")
        ck_running = _entry_param(running, "crashkernel")
        if ck != ck_running:
            _grubby(["--args", f"crashkernel={ck_running}", "--update-kernel", installed])
            _grubby(["--remove-args=fadump", "--update-kernel", installed])
            ctl.msgs.append(
                (
                    "out",
                    f"kexec-tools has reset {installed} to use the new default crashkernel "
                    f"value {ck_running}",
                )
            )
        return 0
    # 5b31b09+: only with a boot loader (test -f /boot/grub2/grub.cfg), then the default value
    if not ctl.host.path("/boot/grub2/grub.cfg").is_file():
        return 0
    installed = _find_kernel_path_by_release(kver, ere=True)
    if not installed:
        return 1  # ddebug "kernel X doesn't exist" is not shown at the default log level
    for kernel in installed.split("\n"):
        _update_crashkernel(ctl, kernel)
    return 0


def reset_after_update(ctl: Ctl) -> int:
    """kdumpctl _reset-crashkernel-after-update (%posttrans of kexec-tools / kdump-utils), 5b31b09+."""
    if not should_reset(ctl) or ctl.rel.crashkernel_hook != "default":
        return 0
    if not ctl.host.path("/boot/grub2/grub.cfg").is_file():
        return 0
    _rc, text = _grubby(["--info", "ALL"])
    for line in text.splitlines():
        if line.startswith("kernel="):
            _update_crashkernel(ctl, line[len("kernel=") :].strip('"'))
    return 0


def _info_blocks(text: str) -> List[Dict[str, str]]:
    blocks: List[Dict[str, str]] = []
    for line in text.splitlines():
        if "=" not in line:
            continue
        k, v = line.split("=", 1)
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        if k == "index":
            blocks.append({})
        if blocks:
            blocks[-1][k] = v
    return blocks
