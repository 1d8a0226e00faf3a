"""Hypothesis fuzzing of every parser and the state loader: only the project's own errors escape.

Facts parsers may raise ParseError (which file_fact/command_fact turn into an
unknown fact); the state loader only StateFileError; the crashkernel rules
ValueError with a message (their documented contract, turned into located
errors by the loader); the journal parser nothing at all.  Anything else
(KeyError, IndexError, UnicodeError, RecursionError...) is a bug.
"""

from __future__ import annotations

import string

from _counts import COUNTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import StateFileError
from reconciler.facts import boot, history, kernel, packages, platform, services
from reconciler.facts.model import ParseError
from reconciler.formats import kdumpconf, sysconfig
from reconciler.formats.kdumpconf_check import validate_kdump_conf
from reconciler.host import CommandResult
from reconciler.rules import crashkernel
from reconciler.state import load_state_text

EXAMPLES = 300
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

# text that looks like the real thing often enough to get past the first check
_WORDS = st.sampled_from(
    [
        "version: 1",
        "dump:",
        "  path: /var/crash",
        "  target:",
        "    type: ssh",
        "    server: kdump@host",
        "crashkernel:",
        "  value: 256M",
        "  entries: [realtime]",
        "sysconfig:",
        "  commandline_append: {ensure: [nr_cpus=1]}",
        "packages: [kexec-tools]",
        "reboot: {policy: automatic}",
        "verify: {crash_test: once}",
        "- x",
        "? a",
        "&a x",
        "*a",
        "!!str",
        '"\\U00110000"',
        "'",
        '"',
        "{",
        "[",
        "#",
        "\t",
        "\u2028",
        "\r",
        "\x85",
        "\ufeff",
    ]
)
LINES = st.lists(st.one_of(_WORDS, st.text(max_size=30)), max_size=12).map("\n".join)
TEXT = st.one_of(st.text(max_size=400), LINES)


def _count(kind: str) -> None:
    COUNTS[f"fuzz examples ({kind})"] += 1


@SETTINGS
@given(TEXT)
def test_the_state_loader_raises_only_state_file_errors(text):
    _count("state loader")
    try:
        load_state_text(text, "fuzz.yaml")
    except StateFileError as exc:
        assert exc.line is None or exc.line >= 1
        assert exc.render().startswith("fuzz.yaml")


TEXT_PARSERS = [
    platform.parse_os_release,
    platform.parse_redhat_release,
    platform.parse_sysconfig_kernel,
    platform.parse_meminfo,
    platform.parse_boot_id,
    kernel.parse_proc_cmdline,
    kernel.parse_iomem_crash,
    kernel.parse_kexec_crash_size,
    kernel.parse_kexec_crash_loaded,
    boot.parse_grubby_info,
    boot.parse_grubby_default_kernel,
    boot.parse_grubby_default_index,
]


@SETTINGS
@given(st.sampled_from(TEXT_PARSERS), TEXT)
def test_fact_parsers_raise_only_parse_errors(parse, text):
    _count("fact parsers")
    try:
        parse(text)
    except ParseError:
        pass


@SETTINGS
@given(
    st.integers(-1, 300), TEXT, TEXT, st.lists(st.sampled_from(["kexec-tools", "kernel-rt", "x"]), min_size=1)
)
def test_command_parsers_raise_only_parse_errors(rc, out, err, names):
    _count("command parsers")
    result = CommandResult(("cmd",), rc, out, err)
    for parse in (
        lambda r: packages.parse_rpm_query(r, names),
        services.parse_is_enabled,
        services.parse_is_active,
        kernel.parse_default_crashkernel,
    ):
        try:
            parse(result)
        except ParseError:
            pass


@SETTINGS
@given(TEXT, st.integers(7, 10))
def test_kdump_conf_and_sysconfig_parse_anything_byte_exact(text, major):
    _count("kdump.conf/sysconfig")
    try:
        conf = kdumpconf.parse_kdump_conf(text)
    except ParseError:
        conf = None
    if conf is not None:
        assert conf.text == text
        validate_kdump_conf(conf, major)
    try:
        sc = sysconfig.parse_sysconfig(text)
    except ParseError:
        sc = None
    if sc is not None:
        assert sc.text == text


@SETTINGS
@given(st.text(alphabet=string.printable, max_size=60))
def test_crashkernel_rules_raise_only_value_errors_with_a_message(text):
    _count("crashkernel rules")
    try:
        crashkernel.parse_crashkernel(text)
    except ValueError as exc:
        assert str(exc)
    crashkernel.effective_crashkernel(text.split())


@SETTINGS
@given(TEXT, st.one_of(st.none(), st.text(max_size=10)))
def test_the_journal_parser_never_raises(text, boot_id):
    _count("journal")
    got = history.parse_journal(text, boot_id)
    assert got.skipped_lines >= 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@SETTINGS
@given(
    st.fixed_dictionaries(
        {"format": st.just("rtkdump-plan/1")},
        optional={
            "state_file": JSON,
            "state_sha256": JSON,
            "fact_digests": JSON,
            "phases": st.one_of(JSON, st.lists(st.fixed_dictionaries({"actions": st.lists(JSON)}))),
        },
    )
)
def test_the_saved_plan_loader_raises_only_apply_errors(tmp_path_factory, data):
    import json

    from reconciler.apply.saved import load_saved_plan
    from reconciler.errors import ApplyError

    _count("saved plans")
    path = tmp_path_factory.getbasetemp() / "fuzz-plan.json"
    path.write_text(json.dumps(data))
    try:
        load_saved_plan(str(path))
    except ApplyError as exc:
        assert "not a valid saved plan" in exc.message
