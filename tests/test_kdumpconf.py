"""reconciler.formats.kdumpconf: byte-exact parsing, kdumpctl validation per release, rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.formats.kdumpconf import (
    KDUMP_TARGET_DIRECTIVES,
    KdumpConf,
    accepted_directives,
    default_core_collector,
    parse_kdump_conf,
    render_kdump_conf,
    target_directives,
)
from reconciler.formats.kdumpconf_check import ConfProblem, validate_kdump_conf

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
KDUMP_CONF_SAMPLES = sorted(p.name for p in SAMPLES.glob("kdump.conf.*"))
SYSCONFIG_SAMPLES = sorted(p.name for p in SAMPLES.glob("sysconfig-kdump.*"))


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def messages(text: str, major: int, severity: str = "error"):
    return [p.message for p in validate_kdump_conf(parse_kdump_conf(text), major) if p.severity == severity]


def first_line_of(command_sample: str) -> str:
    """First stdout/stderr line of a kdumpctl sample, without the RHEL 9 "kdump: " prefix."""
    line = sample(command_sample).splitlines()[0]
    return line[len("kdump: ") :] if line.startswith("kdump: ") else line


# --- stock files ------------------------------------------------------------------
STOCK = [
    ("kdump.conf.rhel7", 7, "makedumpfile -l --message-level 1 -d 31", None),
    ("kdump.conf.upstream-2021-01-9462a7d", 8, "makedumpfile -l --message-level 7 -d 31", None),
    ("kdump.conf.upstream-2021-11-73ced7f", 9, "makedumpfile -l --message-level 7 -d 31", "yes"),
    ("kdump.conf.kdump-utils-current.x86_64", 9, "makedumpfile -l --message-level 7 -d 31", "yes"),
]


@pytest.mark.parametrize("name,major,collector,auto_reset", STOCK, ids=[s[0] for s in STOCK])
def test_stock_kdump_conf_parses_and_validates_clean(name, major, collector, auto_reset):
    conf = parse_kdump_conf(sample(name))
    assert validate_kdump_conf(conf, major) == []
    assert conf.get("path") == "/var/crash"
    assert conf.get("core_collector") == collector
    assert conf.get("auto_reset_crashkernel") == auto_reset
    expected = ([("auto_reset_crashkernel", "yes")] if auto_reset else []) + [
        ("path", "/var/crash"),
        ("core_collector", collector),
    ]
    assert conf.directives() == expected
    assert conf.targets(major) == []


def test_kdump_conf_rhel7_active_lines_are_at_their_line_numbers():
    conf = parse_kdump_conf(sample("kdump.conf.rhel7"))
    active = [line for line in conf.lines if line.directive]
    assert [(line.lineno, line.raw) for line in active] == [
        (151, "path /var/crash"),
        (152, "core_collector makedumpfile -l --message-level 1 -d 31"),
    ]
    assert len(conf.lines) == sample("kdump.conf.rhel7").count("\n")
    assert conf.lines[0].directive is None and conf.lines[0].comment.startswith("#")


def test_kdump_conf_kdump_utils_current_mentions_newer_directives_only_in_comments():
    text = sample("kdump.conf.kdump-utils-current.x86_64")
    assert "kdump_emergency" in text and "virtiofs" in text
    names = {name for name, _ in parse_kdump_conf(text).directives()}
    assert names == {"auto_reset_crashkernel", "path", "core_collector"}
    # kdump_emergency (2026-01) is newer than RHEL 9: an active line would be rejected.
    assert messages(text + "kdump_emergency /bin/true\n", 9) == [
        "Invalid kdump config option kdump_emergency"
    ]


@pytest.mark.parametrize(
    "name,major", [("kdump.conf.upstream-2021-11-73ced7f", 7), ("kdump.conf.upstream-2021-11-73ced7f", 8)]
)
def test_kdump_conf_upstream_2021_11_auto_reset_crashkernel_is_unknown_before_rhel9(name, major):
    # RHEL 7: unknown.  8.10: the nearest upstream (471c136) accepts it, so kdumpctl says nothing;
    # rtkdump itself refuses to write it there (rule unverified-directive, docs/kdumpctl-rules.md)
    expected = ["Invalid kdump config option auto_reset_crashkernel"] if major == 7 else []
    assert messages(sample(name), major) == expected


def test_kdump_conf_upstream_2021_01_failure_action_is_unknown_on_rhel7():
    text = sample("kdump.conf.upstream-2021-01-9462a7d") + "failure_action shell\nfinal_action poweroff\n"
    assert messages(text, 8) == []
    assert messages(text, 7) == [
        "Invalid kdump config option failure_action",
        "Invalid kdump config option final_action",
    ]


# --- byte-exact round trip --------------------------------------------------------
def test_all_kdump_conf_and_sysconfig_samples_are_present():
    assert len(KDUMP_CONF_SAMPLES) >= 4 and len(SYSCONFIG_SAMPLES) >= 13


@pytest.mark.parametrize("name", KDUMP_CONF_SAMPLES + SYSCONFIG_SAMPLES)
def test_sample_round_trips_byte_for_byte(name):
    text = (SAMPLES / name).read_bytes().decode()
    conf = parse_kdump_conf(text)
    assert conf.text == text
    assert len(conf.lines) == text.count("\n") + (0 if text.endswith("\n") else 1)


@pytest.mark.parametrize(
    "text,nlines,final_newline",
    [
        ("", 0, True),
        ("\n", 1, True),
        ("path /var/crash", 1, False),
        ("path /var/crash\n", 1, True),
        ("path /a\n\n\n", 3, True),
        ("path /a\r\ncore_collector cp\r\n", 2, True),
        ("  \t\n# c\n", 2, True),
    ],
)
def test_round_trip_edge_cases(text, nlines, final_newline):
    conf = parse_kdump_conf(text)
    assert conf.text == text
    assert len(conf.lines) == nlines
    assert conf.final_newline is final_newline


def test_missing_final_newline_is_kept_after_rhel7_sample():
    text = sample("kdump.conf.rhel7").rstrip("\n")
    conf = parse_kdump_conf(text)
    assert conf.text == text and not conf.text.endswith("\n")
    assert conf.lines[-1].raw == "#fence_kdump_nodes node1 node2"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_round_trip_arbitrary_text(text):
    assert parse_kdump_conf(text).text == text


@given(
    st.lists(
        st.sampled_from(["path /x", "  raw /dev/sda", "#c", "", "\t", "a b #c", 'x "y"', "\r"]), max_size=12
    ),
    st.booleans(),
)
def test_round_trip_line_mixtures(lines, newline):
    text = "\n".join(lines) + ("\n" if newline and lines else "")
    conf = parse_kdump_conf(text)
    assert conf.text == text
    assert KdumpConf(conf.lines, conf.final_newline).text == text


# --- reading rules ----------------------------------------------------------------
def test_line_fields_for_directive_comment_blank_and_indented_lines():
    conf = parse_kdump_conf(
        '# top\n\npath /var/crash\n\tssh  user@host   # remote\ndracut_args "--mount a"\nsshkey\n'
    )
    top, blank, path, ssh, dracut, sshkey = conf.lines
    assert (top.directive, top.value, top.comment, top.indented) == (None, None, "# top", False)
    assert (blank.directive, blank.value, blank.comment, blank.raw) == (None, None, None, "")
    assert (path.lineno, path.directive, path.value, path.comment) == (3, "path", "/var/crash", None)
    assert (ssh.directive, ssh.value, ssh.comment, ssh.indented) == ("ssh", "user@host", "# remote", True)
    assert (dracut.directive, dracut.value) == ("dracut_args", '"--mount a"')  # quotes kept
    assert (sshkey.directive, sshkey.value) == ("sshkey", "")


def test_inline_comment_is_stripped_from_value_insights_path_kdump_raw():
    conf = parse_kdump_conf("path /kdump/raw #some path stuff\n")
    assert conf.get("path") == "/kdump/raw"
    assert conf.lines[0].comment == "#some path stuff"


def test_hash_glued_to_value_starts_a_comment():
    assert parse_kdump_conf("path /var/cr#ash\n").get("path") == "/var/cr"


def test_quotes_are_part_of_the_value_as_every_supported_release_reads_them():
    # only kdump-utils 1.0.59+ strips a pair of quotes; 7.9 ... 10.1 keep them (docs/kdumpctl-rules.md §2)
    conf = parse_kdump_conf('a ""x""\nb "x\nc x"\nd \'x\'\ne "\n')
    assert conf.directives() == [("a", '""x""'), ("b", '"x'), ("c", 'x"'), ("d", "'x'"), ("e", '"')]


def test_value_keeps_inner_blanks_and_loses_trailing_ones():
    assert (
        parse_kdump_conf("core_collector  makedumpfile  -l \t\n").get("core_collector") == "makedumpfile  -l"
    )


def test_get_returns_last_occurrence_and_directives_keep_duplicates():
    conf = parse_kdump_conf("path /a\npath /b\n")
    assert conf.get("path") == "/b"
    assert conf.get("sshkey") is None
    assert conf.directives() == [("path", "/a"), ("path", "/b")]


def test_targets_include_dracut_args_mount_only():
    conf = parse_kdump_conf(
        'dracut_args --omit-drivers x\nxfs /dev/sda1\ndracut_args --mount "/dev/sdb /mnt xfs"\nvirtiofs myfs\n'
    )
    assert conf.targets(9) == [
        ("xfs", "/dev/sda1"),
        ("dracut_args", '--mount "/dev/sdb /mnt xfs"'),
        ("virtiofs", "myfs"),
    ]
    assert ("virtiofs", "myfs") not in conf.targets(8)


# --- kdumpctl messages, straight from the command samples -------------------------
def test_kdumpctl_start_rhel7_two_targets_message():
    assert messages("raw /dev/sda5\next4 /dev/sdb1\n", 7) == [
        first_line_of("kdumpctl-start.rhel7.two-targets.stdout")
    ]
    assert first_line_of("kdumpctl-start.rhel7.two-targets.stdout") == "More than one dump targets specified."


def test_kdumpctl_start_rhel7_leading_whitespace_message():
    got = validate_kdump_conf(parse_kdump_conf("path /var/crash\n  core_collector makedumpfile -l\n"), 7)
    assert got == [ConfProblem(2, "error", first_line_of("kdumpctl-start.rhel7.leading-whitespace.stdout"))]


def test_kdumpctl_start_rhel9_two_targets_message():
    got = validate_kdump_conf(parse_kdump_conf("raw /dev/sda5\next4 /dev/sdb1\n"), 9)
    assert got == [ConfProblem(2, "error", first_line_of("kdumpctl-start.rhel9.two-targets.stderr"))]
    assert got[0].message == "More than one dump targets specified"


def test_kdumpctl_start_rhel9_unknown_option_message():
    got = validate_kdump_conf(parse_kdump_conf("path /var/crash\nfoo bar\n"), 9)
    assert got == [ConfProblem(2, "error", first_line_of("kdumpctl-start.rhel9.unknown-option.stderr"))]


# --- each rule, each release -------------------------------------------------------
RULES = [
    # (id, text, major, expected error messages)
    ("two-targets-7", "nfs h:/x\nssh u@h\n", 7, ["More than one dump targets specified."]),
    ("two-targets-8", "nfs h:/x\nssh u@h\n", 8, ["More than one dump targets specified"]),
    (
        "three-targets-9",
        "xfs /dev/a\nxfs /dev/b\nraw /dev/c\n",
        9,
        ["More than one dump targets specified"] * 2,
    ),
    (
        "target+dracut-mount-7",
        'xfs /dev/a\ndracut_args --mount "/dev/b /m xfs"\n',
        7,
        ["More than one dump targets specified."],
    ),
    (
        "target+dracut-mount-9",
        'xfs /dev/a\ndracut_args --mount "/dev/b /m xfs"\n',
        9,
        ["More than one dump targets specified"],
    ),
    ("dracut-no-mount-is-no-target-7", "xfs /dev/a\ndracut_args --omit x\n", 7, []),
    ("dracut-no-mount-is-no-target-9", "xfs /dev/a\ndracut_args --omit x\n", 9, []),
    (
        "two-mounts-7",
        'dracut_args --mount "a b c" --mount "d e f"\n',
        7,
        ['Multiple mount targets specified in one "dracut_args".'],
    ),
    (
        "two-mounts-9",
        'dracut_args --mount "a b c" --mount "d e f"\n',
        9,
        ['Multiple mount targets specified in one "dracut_args".'],
    ),
    (
        "indented-7",
        "\tpath /var/crash\n",
        7,
        ["No whitespaces are allowed before a kdump option name in /etc/kdump.conf"],
    ),
    ("indented-comment-7", "   # fine\n", 7, []),
    ("indented-8", "\tpath /var/crash\n", 8, []),
    ("indented-9", "  path /var/crash\n", 9, []),
    ("unknown-7", "foo bar\n", 7, ["Invalid kdump config option foo"]),
    ("unknown-8", "foo bar\n", 8, ["Invalid kdump config option foo"]),
    (
        "override_resettable-7",
        "override_resettable 1\n",
        7,
        ["Invalid kdump config option override_resettable"],
    ),
    # read_strip_comments' sed cuts the line at the '#': `read` sees "path" alone
    ("hash-glued-option-7", "path#x /a\n", 7, ["Invalid kdump config value for option path."]),
    ("empty-value-7", "path\n", 7, ["Invalid kdump config value for option path."]),
    ("empty-value-comment-7", "path # nothing\n", 7, ["Invalid kdump config value for option path."]),
    ("empty-quotes-ok-7", 'path ""\n', 7, []),
    ("empty-value-9", "path\n", 9, ["Invalid kdump config value for option 'path'"]),
    # no supported release strips quotes (kdump-utils 1.0.59+ does): the value is "" literally
    ("empty-quotes-9", 'path ""\n', 9, []),
    ("empty-target-9", "raw\n", 9, ["Invalid kdump config value for option '_target'"]),
    ("empty-target-7", "raw\n", 7, ["Invalid kdump config value for option raw."]),
    ("duplicate-9", "path /a\npath /b\n", 9, ["Duplicated kdump config value of option path"]),
    (
        "duplicate-8",
        "core_collector cp\ncore_collector cp\n",
        8,
        ["Duplicated kdump config value of option core_collector"],
    ),
    (
        "duplicate-dracut_args-9",
        "dracut_args -a\ndracut_args -b\n",
        9,
        ["Duplicated kdump config value of option dracut_args"],
    ),
    ("no-duplicate-check-7", "path /a\npath /b\n", 7, []),
    (
        "default+failure_action-9",
        "failure_action shell\ndefault reboot\n",
        9,
        ["Duplicated kdump config value of option failure_action"],
    ),
    ("failure_action-ok-9", "failure_action dump_to_rootfs\nfinal_action poweroff\n", 9, []),
    (
        "failure_action-bad-9",
        "failure_action panic\n",
        9,
        ["Usage kdump.conf: failure_action {reboot|halt|poweroff|shell|dump_to_rootfs}"],
    ),
    (
        "default-bad-8",
        "default panic\n",
        8,
        ["Usage kdump.conf: failure_action {reboot|halt|poweroff|shell|dump_to_rootfs}"],
    ),
    (
        "default-bad-7",
        "default panic\n",
        7,
        ["Usage kdump.conf: default {reboot|halt|poweroff|shell|dump_to_rootfs}"],
    ),
    ("default-ok-7", "default shell # go\n", 7, []),
    (
        "default-twice-7",
        "default shell\ndefault reboot\n",
        7,
        ["Usage kdump.conf: default {reboot|halt|poweroff|shell|dump_to_rootfs}"],
    ),
    (
        "final_action-bad-9",
        "final_action shell\n",
        9,
        ["Usage kdump.conf: final_action {reboot|halt|poweroff}"],
    ),
    ("final_action-7", "final_action reboot\n", 7, ["Invalid kdump config option final_action"]),
    ("force_rebuild-bad-9", "force_rebuild yes\n", 9, ["Error: force_rebuild value is invalid"]),
    ("force_no_rebuild-bad-7", "force_no_rebuild 2\n", 7, ["Error: force_no_rebuild value is invalid"]),
    (
        "force-both-7",
        "force_rebuild 1\nforce_no_rebuild 1\n",
        7,
        ["Error: force_rebuild and force_no_rebuild are enabled simultaneously in kdump.conf"],
    ),
    (
        "force-both-9",
        "force_no_rebuild 1\nforce_rebuild 1 # both\n",
        9,
        ["Error: force_rebuild and force_no_rebuild are enabled simultaneously in kdump.conf"],
    ),
    ("force-ok-9", "force_no_rebuild 0\nforce_rebuild 1\n", 9, []),
    ("virtiofs-9", "virtiofs myfs\n", 9, []),
    # 8.10's nearest upstream accepts it (rtkdump refuses to write it: unverified-directive)
    ("virtiofs-8", "virtiofs myfs\n", 8, []),
    ("virtiofs-9.0", "virtiofs myfs\n", "9.0", ["Invalid kdump config option virtiofs"]),
    ("virtiofs-7", "virtiofs myfs\n", 7, ["Invalid kdump config option virtiofs"]),
    ("nfs4-7", "nfs4 10.209.136.62:/kdumps\n", 7, ["Invalid kdump config option nfs4"]),
    ("nfs4-9", "nfs4 10.209.136.62:/kdumps\n", 9, ["Invalid kdump config option nfs4"]),
    (
        "nfs4-counts-as-target-7",
        "nfs4 h:/x\nxfs /dev/a\n",
        7,
        ["Invalid kdump config option nfs4", "More than one dump targets specified."],
    ),
    ("nfs4-is-no-target-9", "nfs4 h:/x\nxfs /dev/a\n", 9, ["Invalid kdump config option nfs4"]),
    (
        "net-7",
        "net user@raw.server.com\n",
        7,
        ["Deprecated kdump config option: net. Refer to kdump.conf manpage for alternatives."],
    ),
    (
        "net-9",
        "net user@raw.server.com\n",
        9,
        ["Deprecated kdump config option: net. Refer to kdump.conf manpage for alternatives."],
    ),
    (
        "options-9",
        "options bonding mode=active-backup\n",
        9,
        ["Deprecated kdump config option: options. Refer to kdump.conf manpage for alternatives."],
    ),
    (
        "link_delay-9",
        "link_delay 10\n",
        9,
        ["Deprecated kdump config option: link_delay. Refer to kdump.conf manpage for alternatives."],
    ),
    (
        "disk_timeout-7",
        "disk_timeout 10\n",
        7,
        ["Deprecated kdump config option: disk_timeout. Refer to kdump.conf manpage for alternatives."],
    ),
    (
        "debug_mem_level-8",
        "debug_mem_level 1\n",
        8,
        ["Deprecated kdump config option: debug_mem_level. Refer to kdump.conf manpage for alternatives."],
    ),
]


@pytest.mark.parametrize("text,major,expected", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_kdumpctl_rule(text, major, expected):
    assert messages(text, major) == expected


def test_default_warns_on_rhel8_and_9_but_not_rhel7():
    text = "default reboot\n"
    warning = "WARNING: Option 'default' was renamed 'failure_action' and will be removed in the future."
    for major in (8, 9, 10):
        assert validate_kdump_conf(parse_kdump_conf(text), major) == [ConfProblem(1, "warning", warning)]
    assert validate_kdump_conf(parse_kdump_conf(text), 7) == []
    # 9.0 and 9.2 have `default` and `failure_action` side by side (cc95f0a), no warning
    assert validate_kdump_conf(parse_kdump_conf(text), "9.2") == []


def test_problems_are_in_file_order_with_line_numbers():
    text = "path /a\nfoo 1\nfinal_action shell\npath /b\nblacklist vxfs\n"
    got = validate_kdump_conf(parse_kdump_conf(text), 9)
    assert [(p.lineno, p.message) for p in got] == [
        (2, "Invalid kdump config option foo"),
        (3, "Usage kdump.conf: final_action {reboot|halt|poweroff}"),
        (4, "Duplicated kdump config value of option path"),
        (5, "Deprecated kdump config option: blacklist. Refer to kdump.conf manpage for alternatives."),
    ]


# insights-core test_kdump.py real-world oddities
INSIGHTS_INLINE = "nfs4 10.209.136.62:/kdumps\npath /kdump/raw #some path stuff\ncore_collector makedumpfile -c --message-level 1 -d 31\n"
INSIGHTS_EQUAL = (
    "nfs 10.209.136.62:/kdumps\npath /kdump/raw #some path stuff\n"
    'core_collector makedumpfile -c --message-level 1 -d 31\nsome_var "blah=3"\n'
    "options bonding mode=active-backup miimon=100\n"
)
INSIGHTS_BLACKLIST = (
    "\npath /var/crash\ncore_collector makedumpfile -c --message-level 1 -d 24\ndefault shell\n"
    "blacklist vxfs\nblacklist vxportal\nignore_me\n"
)


def test_insights_inline_comment_and_nfs4():
    conf = parse_kdump_conf(INSIGHTS_INLINE)
    assert conf.get("path") == "/kdump/raw"
    assert messages(INSIGHTS_INLINE, 7) == ["Invalid kdump config option nfs4"]


def test_insights_equal_sign_unknown_key_and_options():
    conf = parse_kdump_conf(INSIGHTS_EQUAL)
    assert conf.get("some_var") == '"blah=3"'
    assert conf.get("options") == "bonding mode=active-backup miimon=100"
    assert messages(INSIGHTS_EQUAL, 9) == [
        "Invalid kdump config option some_var",
        "Deprecated kdump config option: options. Refer to kdump.conf manpage for alternatives.",
    ]


def test_insights_blacklist_repeated_and_bare_unknown_key():
    conf = parse_kdump_conf(INSIGHTS_BLACKLIST)
    assert [v for n, v in conf.directives() if n == "blacklist"] == ["vxfs", "vxportal"]
    assert ("ignore_me", "") in conf.directives()
    deprecated = "Deprecated kdump config option: blacklist. Refer to kdump.conf manpage for alternatives."
    assert messages(INSIGHTS_BLACKLIST, 7) == [
        deprecated,
        deprecated,
        "Invalid kdump config option ignore_me",
    ]
    assert messages(INSIGHTS_BLACKLIST, 9) == [
        deprecated,
        deprecated,
        "Invalid kdump config option ignore_me",
    ]


def test_validate_rejects_unsupported_release():
    with pytest.raises(ValueError):
        validate_kdump_conf(parse_kdump_conf("path /x\n"), 6)


# --- accepted lists ----------------------------------------------------------------
def test_accepted_directives_per_release():
    el7, el8, el9 = accepted_directives(7), accepted_directives(8), accepted_directives(9)
    assert {"failure_action", "final_action", "auto_reset_crashkernel", "virtiofs", "nfs4", "net"}.isdisjoint(
        el7
    )
    assert {"default", "dracut_args", "fence_kdump_nodes", "force_no_rebuild", "sshkey"} <= el7
    assert el8 - el7 == {"failure_action", "final_action"}
    assert el9 - el8 == {"auto_reset_crashkernel", "virtiofs"}
    assert "kdump_emergency" not in el9 and "override_resettable" not in el9
    assert accepted_directives(10) == el9


def test_target_directives():
    assert "virtiofs" in KDUMP_TARGET_DIRECTIVES
    assert target_directives(9) == KDUMP_TARGET_DIRECTIVES
    assert target_directives(7) == target_directives(8) == KDUMP_TARGET_DIRECTIVES - {"virtiofs"}
    assert "dracut_args" not in KDUMP_TARGET_DIRECTIVES


# --- rendering ------------------------------------------------------------------------
def test_render_canonical_text():
    text = render_kdump_conf(
        [("path", "/var/crash"), ("core_collector", "makedumpfile -l --message-level 7 -d 31")],
        "Managed by rtkdump.\n\nDo not edit.",
    )
    assert text == (
        "# Managed by rtkdump.\n#\n# Do not edit.\n\npath /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n"
    )


def test_render_reads_back_and_validates_clean_on_rhel7():
    pairs = [("raw", "/dev/sdb1"), ("core_collector", default_core_collector("raw", 7)), ("default", "shell")]
    conf = parse_kdump_conf(render_kdump_conf(pairs, "rtkdump"))
    assert conf.directives() == pairs
    assert validate_kdump_conf(conf, 7) == []


def test_render_without_header_and_without_directives():
    assert render_kdump_conf([("path", "/x")], "") == "path /x\n"
    assert render_kdump_conf([], "h") == "# h\n\n"


@pytest.mark.parametrize(
    "pair", [("path", "/a\n/b"), ("path", "/a #b"), ("two words", "x"), ("", "x"), ("#path", "/x")]
)
def test_render_refuses_text_that_would_read_back_differently(pair):
    with pytest.raises(ValueError):
        render_kdump_conf([pair], "h")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(accepted_directives(9))),
            st.text(
                alphabet=st.characters(whitelist_categories=("L", "N", "P", "S"), blacklist_characters="#"),
                min_size=1,
                max_size=20,
            ),
        ),
        max_size=8,
    )
)
def test_render_then_parse_gives_the_same_directives(pairs):
    pairs = [(n, v) for n, v in pairs if not (v.startswith('"') and v.endswith('"') and len(v) > 1)]
    assert parse_kdump_conf(render_kdump_conf(pairs, "header")).directives() == pairs


# --- default core collector ---------------------------------------------------------
@pytest.mark.parametrize(
    "kind,major,expected",
    [
        ("xfs", 7, "makedumpfile -l --message-level 1 -d 31"),
        ("local", 8, "makedumpfile -l --message-level 7 -d 31"),
        ("nfs", 9, "makedumpfile -l --message-level 7 -d 31"),
        ("raw", 7, "makedumpfile -F -l --message-level 1 -d 31"),
        ("ssh", 9, "makedumpfile -F -l --message-level 7 -d 31"),
        ("ssh", 8, "makedumpfile -F -l --message-level 7 -d 31"),
    ],
)
def test_default_core_collector(kind, major, expected):
    assert default_core_collector(kind, major) == expected


def test_default_core_collector_matches_stock_files():
    assert parse_kdump_conf(sample("kdump.conf.rhel7")).get("core_collector") == default_core_collector(
        "local", 7
    )
    current = parse_kdump_conf(sample("kdump.conf.kdump-utils-current.x86_64"))
    assert current.get("core_collector") == default_core_collector("local", 9)
    # and the stock comment states the raw/ssh default
    assert '"' + default_core_collector("ssh", 9) + '".' in sample("kdump.conf.kdump-utils-current.x86_64")
    assert '"' + default_core_collector("raw", 7) + '".' in sample("kdump.conf.rhel7")


def test_default_core_collector_rejects_unknown_kind():
    with pytest.raises(ValueError):
        default_core_collector("nfs4", 9)
