"""State file loading: reconciler/state.py, schemas/state-v1.schema.json, states/, tests/bad_states/."""

from __future__ import annotations

import hashlib
import json
import re
import string
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import StateFileError
from reconciler.state import load_schema, load_state, load_state_text
from reconciler.state.model import DesiredState

ROOT = Path(__file__).resolve().parent.parent
STATES = sorted((ROOT / "states").glob("*.yaml"))
BAD = sorted((ROOT / "tests" / "bad_states").glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (\d+):(\d+) (\S+) (.+)$")


def _load(text: str, name: str = "s.yaml") -> DesiredState:
    return load_state_text(text, name)


def _error(text: str, name: str = "s.yaml") -> StateFileError:
    with pytest.raises(StateFileError) as info:
        load_state_text(text, name)
    return info.value


# ------------------------------------------------------------------ bad states


def test_enough_bad_states():
    assert len(BAD) >= 80


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_state(path: Path):
    first = path.read_bytes().split(b"\n", 1)[0]
    m = EXPECT.match(first)
    assert m, f"{path.name}: first line must be '# expect: LINE:COL FIELD SUBSTRING'"
    line, column = int(m.group(1)), int(m.group(2))
    field, substring = m.group(3).decode(), m.group(4).decode()
    with pytest.raises(StateFileError) as info:
        load_state(str(path))
    err = info.value
    text = err.render()
    assert text.startswith(f"{path}:{line}:{column}:"), text
    if field == "-":
        assert err.field is None, text
    else:
        assert err.field == field, text
        assert f" {field}: " in text.splitlines()[0], text
    assert substring in text, text
    assert err.hint, f"every error carries a fix hint: {text}"


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_state_text_api_agrees(path: Path):
    """load_state_text reports the same error as load_state (for UTF-8 files)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: only load_state reads bytes")
    with pytest.raises(StateFileError) as a:
        load_state(str(path))
    with pytest.raises(StateFileError) as b:
        load_state_text(text, str(path))
    assert a.value.render() == b.value.render()


# ------------------------------------------------------------------ good states


@pytest.mark.parametrize("path", STATES, ids=[p.name for p in STATES])
def test_shipped_states_load(path: Path):
    state = load_state(str(path))
    assert state.source == str(path)
    assert state.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert state.locations["version"].startswith(f"{path}:")


def test_shipped_states_present():
    names = {p.name for p in STATES}
    assert {
        "default.yaml",
        "nfs-target.yaml",
        "ssh-target.yaml",
        "custom-size.yaml",
        "absent.yaml",
        "ls21.yaml",
    } <= names


def test_default_state_file():
    s = load_state(str(ROOT / "states" / "default.yaml"))
    assert s.present
    assert s.packages is None  # recommended: the release table decides
    assert s.crashkernel.values == ("recommended",)
    assert s.crashkernel.entries == "realtime"
    assert s.dump.target.kind == "local"
    assert s.dump.path == "/var/crash"
    assert s.sysconfig.append_ensure == ("reset_devices",)
    assert s.sysconfig.kernelver == "unmanaged"
    assert s.ls21_acpi_noirq == "auto"
    assert (s.service.enabled, s.service.running) == (True, True)
    assert (s.reboot.policy, s.reboot.max_reboots) == ("manual", 2)
    assert s.crash_test == "off"


def test_default_state_file_equals_minimal_file_plus_reset_devices():
    """Every key of states/default.yaml spells out a default (bar ensure: [reset_devices])."""
    full = load_state(str(ROOT / "states" / "default.yaml"))
    minimal = _load("version: 1\nsysconfig:\n  commandline_append:\n    ensure: [reset_devices]\n")
    assert minimal.dump == full.dump
    assert minimal.crashkernel == full.crashkernel
    assert minimal.sysconfig == full.sysconfig
    assert (minimal.packages, minimal.service, minimal.reboot) == (full.packages, full.service, full.reboot)
    assert (minimal.ls21_acpi_noirq, minimal.crash_test, minimal.present) == (
        full.ls21_acpi_noirq,
        full.crash_test,
        full.present,
    )


def test_defaults_of_a_minimal_file():
    s = _load("version: 1\n")
    assert s == DesiredState(source="s.yaml", sha256=hashlib.sha256(b"version: 1\n").hexdigest())
    assert s.sysconfig.append_ensure == ()
    assert s.dump.extra == ()


def test_custom_size_state():
    s = load_state(str(ROOT / "states" / "custom-size.yaml"))
    assert s.crashkernel.values == ("512M",)
    assert ("auto_reset_crashkernel", "no") in s.dump.extra


def test_absent_state():
    s = load_state(str(ROOT / "states" / "absent.yaml"))
    assert not s.present
    assert s.crashkernel.values == ()
    assert s.crashkernel.entries == "realtime"
    assert (s.service.enabled, s.service.running) == (False, False)
    assert s.packages == ()


def test_absent_with_entry_list_and_reboot():
    s = _load(
        "version: 1\nstate: absent\ncrashkernel:\n  entries: [5.14.0-427.20.1.el9_4.x86_64+rt]\n"
        "reboot: {policy: automatic, max_reboots: 1}\n"
    )
    assert s.crashkernel.entries == "list"
    assert s.crashkernel.entry_list == ("5.14.0-427.20.1.el9_4.x86_64+rt",)
    assert s.reboot == type(s.reboot)(policy="automatic", max_reboots=1)


def test_ssh_and_fs_and_raw_targets():
    s = load_state(str(ROOT / "states" / "ssh-target.yaml"))
    assert (s.dump.target.kind, s.dump.target.server) == ("ssh", "kdump@dumps.example.com")
    assert s.dump.target.sshkey == "/root/.ssh/kdump_id_rsa"
    fs = _load("version: 1\ndump:\n  target: {type: fs, device: LABEL=crash, fstype: xfs}\n")
    assert (fs.dump.target.kind, fs.dump.target.device, fs.dump.target.fstype) == ("fs", "LABEL=crash", "xfs")
    raw = _load("version: 1\ndump:\n  target: {type: raw, device: /dev/vg/lv_kdump}\n")
    assert raw.dump.target.device == "/dev/vg/lv_kdump"
    v6 = _load("version: 1\ndump:\n  target: {type: nfs, server: '[fd00::1]:/export/crash'}\n")
    assert v6.dump.target.server == "[fd00::1]:/export/crash"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("on", "on"),
        ("off", "off"),
        ("true", "on"),
        ("false", "off"),
        ("yes", "on"),
        ("no", "off"),
        ('"on"', "on"),
        ('"off"', "off"),
        ("auto", "auto"),
    ],
)
def test_quirk_yaml_booleans(text, expected):
    assert _load(f"version: 1\nquirks:\n  ls21_acpi_noirq: {text}\n").ls21_acpi_noirq == expected


@pytest.mark.parametrize(
    "text, expected", [("off", "off"), ("false", "off"), ('"off"', "off"), ("once", "once")]
)
def test_crash_test_yaml_booleans(text, expected):
    assert _load(f"version: 1\nverify:\n  crash_test: {text}\n").crash_test == expected


def test_crash_test_true_is_refused():
    err = _error("version: 1\nverify:\n  crash_test: true\n")
    assert err.field == "verify.crash_test"


@pytest.mark.parametrize(
    "value, values",
    [
        ("auto", ("auto",)),
        ("256M", ("256M",)),
        ("256M@16M", ("256M@16M",)),
        ("1G-4G:192M,4G-64G:256M,64G-:512M", ("1G-4G:192M,4G-64G:256M,64G-:512M",)),
        ("512M,high", ("512M,high",)),
        ('["512M,high", "256M,low"]', ("512M,high", "256M,low")),
        ("\n    - 512M,high\n    - 256M,low", ("512M,high", "256M,low")),
        ("\n    - 256M,low\n    - 512M,high", ("256M,low", "512M,high")),
    ],
)
def test_crashkernel_values(value, values):
    assert _load(f"version: 1\ncrashkernel:\n  value: {value}\n").crashkernel.values == values


def test_entries_list():
    s = _load(
        "version: 1\ncrashkernel:\n  entries:\n"
        "    - /boot/vmlinuz-3.10.0-1160.rt56.1131.el7.x86_64\n"
        "    - 5.14.0-284.11.1.rt14.296.el9_2.x86_64\n"
    )
    assert s.crashkernel.entries == "list"
    assert s.crashkernel.entry_list == (
        "/boot/vmlinuz-3.10.0-1160.rt56.1131.el7.x86_64",
        "5.14.0-284.11.1.rt14.296.el9_2.x86_64",
    )


@pytest.mark.parametrize(
    "text, mode, value",
    [
        ("unmanaged", "unmanaged", None),
        ("running", "running", None),
        ("latest-rt", "latest-rt", None),
        ("5.14.0-427.20.1.el9_4.x86_64+rt", "explicit", "5.14.0-427.20.1.el9_4.x86_64+rt"),
        ("3.10.0-1160.rt56.1131.el7.x86_64", "explicit", "3.10.0-1160.rt56.1131.el7.x86_64"),
    ],
)
def test_kernelver(text, mode, value):
    s = _load(f"version: 1\nsysconfig:\n  kernelver: {text}\n")
    assert (s.sysconfig.kernelver, s.sysconfig.kernelver_value) == (mode, value)


def test_extra_in_order_and_yes_no():
    s = _load(
        "version: 1\ndump:\n  extra:\n    extra_modules: gfs2 dlm\n    auto_reset_crashkernel: yes\n"
        "    dracut_args: --omit-drivers cfg80211\n    kdump_post: /var/crash/scripts/kdump-post.sh\n"
    )
    assert s.dump.extra == (
        ("extra_modules", "gfs2 dlm"),
        ("auto_reset_crashkernel", "yes"),
        ("dracut_args", "--omit-drivers cfg80211"),
        ("kdump_post", "/var/crash/scripts/kdump-post.sh"),
    )


def test_commandline_append_ok():
    s = _load(
        "version: 1\nsysconfig:\n  commandline_append:\n"
        "    ensure: [reset_devices, nr_cpus=1, udev.children-max=2, initramfs_options=size=90%]\n"
        "    remove: [irqpoll, numa=off]\n"
    )
    assert s.sysconfig.append_ensure == (
        "reset_devices",
        "nr_cpus=1",
        "udev.children-max=2",
        "initramfs_options=size=90%",
    )
    assert s.sysconfig.append_remove == ("irqpoll", "numa=off")


def test_locations_filled():
    text = (
        "version: 1\n"  # 1
        "crashkernel:\n"  # 2
        "  value: 256M\n"  # 3
        "dump:\n"  # 4
        "  target:\n"  # 5
        "    type: nfs\n"  # 6
        "    server: nfs.example.com:/export/crash\n"  # 7
        "  extra:\n"  # 8
        "    dracut_args: --omit-drivers cfg80211\n"  # 9
        "sysconfig:\n"  # 10
        "  commandline_append:\n"  # 11
        "    ensure: [reset_devices, nr_cpus=1]\n"  # 12
    )
    s = _load(text, "/etc/rtkdump/state.yaml")
    loc = s.locations
    assert loc["version"] == "/etc/rtkdump/state.yaml:1:10"
    assert loc["crashkernel"] == "/etc/rtkdump/state.yaml:2:1"
    assert loc["crashkernel.value"] == "/etc/rtkdump/state.yaml:3:10"
    assert loc["dump.target"] == "/etc/rtkdump/state.yaml:5:3"
    assert loc["dump.target.server"] == "/etc/rtkdump/state.yaml:7:13"
    assert loc["dump.extra.dracut_args"] == "/etc/rtkdump/state.yaml:9:18"
    assert loc["sysconfig.commandline_append.ensure"] == "/etc/rtkdump/state.yaml:12:5"
    assert loc["sysconfig.commandline_append.ensure[1]"] == "/etc/rtkdump/state.yaml:12:29"
    assert s.where("dump.target.type") == "/etc/rtkdump/state.yaml:6:11"
    assert s.where("dump.path") == "/etc/rtkdump/state.yaml:4:1"  # not written: nearest parent
    assert s.where("reboot.policy") == "/etc/rtkdump/state.yaml"


def test_every_written_field_has_a_location():
    path = ROOT / "states" / "default.yaml"
    s = load_state(str(path))
    data = yaml.safe_load(path.read_text())

    def dotted(node, prefix=""):
        if isinstance(node, dict):
            for k, v in node.items():
                name = f"{prefix}.{k}" if prefix else k
                yield name
                yield from dotted(v, name)
        elif isinstance(node, list):
            for i in range(len(node)):
                yield f"{prefix}[{i}]"

    for name in dotted(data):
        assert name in s.locations, name


def test_sha256_of_raw_bytes(tmp_path):
    p = tmp_path / "s.yaml"
    raw = b"\xef\xbb\xbfversion: 1\r\n"  # BOM and CRLF: the hash is of the bytes as stored
    p.write_bytes(raw)
    assert load_state(str(p)).sha256 == hashlib.sha256(raw).hexdigest()


def test_bom_does_not_shift_columns(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_bytes(b"\xef\xbb\xbfversion: 2\n")
    with pytest.raises(StateFileError) as info:
        load_state(str(p))
    assert (info.value.line, info.value.column) == (1, 10)


# ------------------------------------------------------------------ whole-file errors


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_bytes(b"")
    with pytest.raises(StateFileError) as info:
        load_state(str(p))
    assert info.value.render().startswith(f"{p}:1:1: the state file is empty")


def test_missing_file(tmp_path):
    p = tmp_path / "nope.yaml"
    with pytest.raises(StateFileError) as info:
        load_state(str(p))
    assert str(p) in info.value.render()
    assert "cannot read" in info.value.message


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(StateFileError):
        load_state(str(tmp_path))


def test_too_large_file(tmp_path):
    p = tmp_path / "big.yaml"
    p.write_bytes(b"version: 1\n" + b"# padding\n" * 200_000)
    with pytest.raises(StateFileError, match="larger than"):
        load_state(str(p))


def test_non_utf8_position(tmp_path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes("version: 1\ndump:\n  path: /var/dépôt\n".encode("latin-1"))
    with pytest.raises(StateFileError) as info:
        load_state(str(p))
    assert (info.value.line, info.value.column) == (3, 15)  # '  path: /var/d' is 14 characters


def test_multiple_documents():
    err = _error("version: 1\n---\nversion: 1\n")
    assert (err.line, err.column) == (2, 1)
    assert "single document" in err.message


def test_recursive_nesting_does_not_crash():
    err = _error("version: 1\ndump: " + "[" * 5000 + "]" * 5000 + "\n")
    assert err.line is not None


@pytest.mark.parametrize(
    "snippet",
    [
        "!!timestamp nonsense",
        "!!int x",
        "!!float x",
        "!!bool maybe",
        "!!python/object:os.system x",
        "!!set {a}",
    ],
)
def test_odd_yaml_tags_are_state_file_errors(snippet):
    err = _error(f"version: 1\ndump:\n  path: {snippet}\n")
    assert err.field == "dump.path"
    assert (err.line, err.column) == (3, 9)


def test_unquoted_date_is_a_type_error():
    err = _error("version: 1\nsysconfig:\n  kernelver: 2024-01-01\n")
    assert "date" in err.message


def test_only_first_error_is_reported():
    err = _error("version: 1\nkdump: {}\ndump:\n  path: relative\n")
    assert "\n" not in err.render().split("\n  fix:")[0]


# ------------------------------------------------------------------ injection safety

SAFE_PATHS = ["/var/crash", "/srv/crash-dumps_1.2", "/var/crash/%HOST", "/a:b=c,d+e@f~g"]
UNSAFE = ["\n", "\r", "\0", '"', "'", "\\", "`", "$", ";", "&", "|", "<", ">", "#", " ", "\t", "é", "\u2028"]


@pytest.mark.parametrize("path", SAFE_PATHS)
def test_safe_paths(path):
    doc = yaml.safe_dump({"version": 1, "dump": {"path": path}})
    assert _load(doc).dump.path == path


@pytest.mark.parametrize("char", UNSAFE, ids=[repr(c) for c in UNSAFE])
@pytest.mark.parametrize(
    "field",
    [
        ("dump", "path"),
        ("dump", "core_collector"),
        ("dump", "extra", "dracut_args"),
        ("dump", "extra", "extra_modules"),
        ("dump", "extra", "kdump_pre"),
        ("sysconfig", "kernelver"),
        ("crashkernel", "value"),
    ],
    ids=lambda f: ".".join(f),
)
def test_unsafe_characters_refused(field, char):
    value = {"dump": "/var/crash", "crashkernel": "256M", "sysconfig": "5.14.0-1.el9"}[field[0]]
    value = value + char + "x"
    if field[-1] in ("core_collector", "dracut_args", "extra_modules") and char == " ":
        pytest.skip("single spaces are allowed between words")
    data = {"version": 1}
    node = data
    for part in field[:-1]:
        node = node.setdefault(part, {})
    node[field[-1]] = value
    err = _error(yaml.safe_dump(data, allow_unicode=True))
    if char == "\u2028":  # refused anywhere in the file, before YAML reads it (a hidden line break)
        assert err.field is None and "LINE SEPARATOR" in err.message
        return
    assert err.field == ".".join(field)


@pytest.mark.parametrize(
    "token", ["reset_devices", "nr_cpus=1", "udev.children-max=2", "console=ttyS0,115200n8"]
)
def test_kernel_arg_tokens_ok(token):
    state = _load(f"version: 1\nsysconfig:\n  commandline_append:\n    ensure: ['{token}']\n")
    assert state.sysconfig.append_ensure == (token,)


@pytest.mark.parametrize("token", ["nr_cpus=", "=1", "-x", "a b", "reset_devices\n", "x=$(reboot)", "x='1'"])
def test_kernel_arg_tokens_refused(token):
    doc = yaml.safe_dump({"version": 1, "sysconfig": {"commandline_append": {"remove": [token]}}})
    err = _error(doc)
    assert err.field == "sysconfig.commandline_append.remove[0]"


def test_acpi_noirq_in_remove_points_at_quirk_off():
    err = _error("version: 1\nsysconfig:\n  commandline_append:\n    remove: [acpi=noirq]\n")
    assert "ls21_acpi_noirq: off" in err.hint


# ------------------------------------------------------------------ schema


def test_schema_is_valid_draft_2020_12():
    schema = load_schema()
    checker = getattr(jsonschema, "Draft202012Validator", None) or jsonschema.Draft7Validator  # 3.2: Draft 7
    checker.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_closed_and_described():
    """additionalProperties: false on every object, a description on every field."""
    schema = load_schema()
    objects = []

    def collect(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object":
                objects.append((where, node))
            for k, v in node.items():
                collect(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                collect(v, f"{where}[{i}]")

    collect(schema, "$")
    assert len(objects) >= 10
    for where, node in objects:
        assert node.get("additionalProperties") is False, where

    def fields(node, where):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{where}.{key}"
            fields(sub, f"{where}.{key}")
        items = node.get("items") or node.get("then", {}).get("items")
        if isinstance(items, dict):
            target = items
            if "$ref" in items:
                target = schema["$defs"][items["$ref"].split("/")[-1]]
            assert target.get("description"), f"{where}[]"

    fields(schema, "$")


def test_schema_file_is_the_packaged_one():
    on_disk = json.loads((ROOT / "schemas" / "state-v1.schema.json").read_text())
    assert load_schema() == on_disk


@pytest.mark.parametrize(
    "value",
    [
        "/var/crash",
        "/var/crash;x",
        "/var/$x",
        "/a b",
        "/é",
        "/a#b",
        "/a'b",
        "/a\\b",
        "/a|b",
        "/a:b",
        "/%H-%D",
        "/[x]",
    ],
)
def test_schema_path_pattern_agrees_with_loader(value):
    """The schema's deny-list (for editors) and the loader's agree on characters."""
    pattern = re.compile(load_schema()["$defs"]["abspath"]["pattern"])
    schema_ok = bool(pattern.search(value))
    try:
        _load(yaml.safe_dump({"version": 1, "dump": {"path": value}}, allow_unicode=True))
        loader_ok = True
    except StateFileError:
        loader_ok = False
    assert schema_ok == loader_ok


# ------------------------------------------------------------------ fuzz

PRINTABLE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PRINTABLE)
def test_fuzz_dump_path_quoted(value):
    doc = yaml.safe_dump({"version": 1, "dump": {"path": value}}, allow_unicode=True)
    try:
        s = _load(doc)
    except StateFileError as e:
        assert e.line is not None and e.column is not None
        assert e.render()
    else:
        assert s.dump.path == value
        assert value.startswith("/")
        assert all(c not in value for c in "\n\r\0\"'\\`$;&|<># \t")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(PRINTABLE, st.text(string.printable, max_size=40)))
def test_fuzz_dump_path_raw(value):
    """The value pasted unquoted into the YAML: anything, YAML syntax included."""
    doc = f"version: 1\ndump:\n  path: {value}\n"
    try:
        load_state_text(doc, "fuzz.yaml")
    except StateFileError as e:
        assert e.render().startswith("fuzz.yaml:")
