"""reconciler.formats.sysconfig: /etc/sysconfig/kdump parsing, one-value edits, token merging."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.facts.model import ParseError
from reconciler.formats.sysconfig import merge_tokens, parse_sysconfig, tokens_equal

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
SYSCONFIG_SAMPLES = sorted(p.name for p in SAMPLES.glob("sysconfig-kdump.*"))
KDUMP_CONF_SAMPLES = sorted(p.name for p in SAMPLES.glob("kdump.conf.*"))

EL7_APPEND = (
    "irqpoll nr_cpus=1 reset_devices cgroup_disable=memory mce=off numa=off udev.children-max=2 panic=10 "
    "rootflags=nofail acpi_no_memhotplug transparent_hugepage=never nokaslr novmcoredd"
)


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def changed_lines(before: str, after: str):
    """(removed, added) lines of a line diff."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


# --- every sample ---------------------------------------------------------------------
def test_sysconfig_samples_are_present():
    assert len(SYSCONFIG_SAMPLES) >= 13


@pytest.mark.parametrize("name", SYSCONFIG_SAMPLES)
def test_sysconfig_sample_parses_and_round_trips(name):
    text = (SAMPLES / name).read_bytes().decode()
    conf = parse_sysconfig(text)
    assert conf.text == text
    for var in (
        "KDUMP_KERNELVER",
        "KDUMP_COMMANDLINE",
        "KDUMP_COMMANDLINE_REMOVE",
        "KDUMP_COMMANDLINE_APPEND",
        "KDUMP_IMG",
    ):
        assert var in conf.names()
    assert conf.get("KDUMP_KERNELVER") == ""
    assert conf.get("KDUMP_IMG") == "vmlinuz"
    assert "reset_devices" in conf.get("KDUMP_COMMANDLINE_APPEND").split() or "s390x" in name


@pytest.mark.parametrize("name", SYSCONFIG_SAMPLES)
def test_sysconfig_sample_set_same_value_changes_nothing(name):
    conf = parse_sysconfig(sample(name))
    for var in conf.names():
        assert conf.set(var, conf.get(var)).text == conf.text


@pytest.mark.parametrize("name", KDUMP_CONF_SAMPLES)
def test_kdump_conf_sample_is_not_a_shell_fragment(name):
    # kdump.conf lines ("path /var/crash") are commands to the shell: refused, not guessed.
    with pytest.raises(ParseError):
        parse_sysconfig(sample(name))


def test_sysconfig_rhel7_7_x86_64_values():
    conf = parse_sysconfig(sample("sysconfig-kdump.rhel7.7.x86_64"))
    assert conf.get("KDUMP_COMMANDLINE_REMOVE") == "hugepages hugepagesz slub_debug kaslr"
    assert conf.get("KDUMP_COMMANDLINE_APPEND") == EL7_APPEND
    assert conf.get("KEXEC_ARGS") == ""
    assert conf.get("KDUMP_BOOTDIR") is None  # only "#KDUMP_BOOTDIR=..." in the stock file
    assert conf.names() == [
        "KDUMP_KERNELVER",
        "KDUMP_COMMANDLINE",
        "KDUMP_COMMANDLINE_REMOVE",
        "KDUMP_COMMANDLINE_APPEND",
        "KEXEC_ARGS",
        "KDUMP_IMG",
        "KDUMP_IMG_EXT",
    ]


def test_sysconfig_rhel7_7_aarch64_sets_bootdir():
    assert parse_sysconfig(sample("sysconfig-kdump.rhel7.7.aarch64")).get("KDUMP_BOOTDIR") == "/boot"


def test_sysconfig_rhel7_7_ppc64_kexec_args_and_s390x_mkdumprd_args():
    assert parse_sysconfig(sample("sysconfig-kdump.rhel7.7.ppc64")).get("KEXEC_ARGS") == "--dt-no-old-root"
    assert parse_sysconfig(sample("sysconfig-kdump.rhel7.7.ppc64le")).get("KEXEC_ARGS") == "--dt-no-old-root"
    assert parse_sysconfig(sample("sysconfig-kdump.rhel7.7.s390x")).get("MKDUMPRD_ARGS") == ""


def test_sysconfig_rhel8_x86_64_constructed_kexec_args():
    conf = parse_sysconfig(sample("sysconfig-kdump.rhel8.x86_64.constructed"))
    assert conf.get("KEXEC_ARGS") == "-s"
    assert conf.get("KDUMP_COMMANDLINE_REMOVE") == "hugepages hugepagesz slub_debug quiet log_buf_len swiotlb"


def test_sysconfig_upstream_2022_05_218d991_remove_has_ignition_firstboot():
    conf = parse_sysconfig(sample("sysconfig-kdump.upstream-2022-05-218d991.x86_64"))
    assert conf.get("KDUMP_COMMANDLINE_REMOVE").split()[-1] == "ignition.firstboot"


def test_sysconfig_kdump_utils_current_x86_64_commented_loglvl_do_not_count():
    conf = parse_sysconfig(sample("sysconfig-kdump.kdump-utils-current.x86_64"))
    assert conf.get("VMCORE_CREATION_NOTIFICATION") == "yes"
    assert conf.get("FADUMP_COMMANDLINE_APPEND") == ""
    for var in ("KDUMP_STDLOGLVL", "KDUMP_SYSLOGLVL", "KDUMP_KMSGLOGLVL", "KDUMP_BOOTDIR"):
        assert conf.get(var) is None and var not in conf
    assert "initramfs_options=size=90%" in conf.get("KDUMP_COMMANDLINE_APPEND").split()


# --- shell reading rules ----------------------------------------------------------------
def test_quote_styles_and_last_assignment_wins():
    conf = parse_sysconfig('A="x y"\nB=\'p q\'\nC=plain\nA=again\n  export D="d" # note\nE=\nF=a"b"\'c\'\n')
    assert conf.get("A") == "again"
    assert conf.get("B") == "p q"
    assert conf.get("C") == "plain"
    assert conf.get("D") == "d"
    assert conf.get("E") == ""
    assert conf.get("F") == "abc"
    assert conf.names() == ["A", "B", "C", "D", "E", "F"]
    assert [a.quote for a in conf.assignments] == ['"', "'", "", "", '"', "", ""]
    assert conf.assignments[4].exported


def test_escapes_and_hash_inside_a_word():
    conf = parse_sysconfig('A="a\\"b\\\\c\\d"\nB=x#y\nC=\'$not $expanded\'\nD=a\\ b\n')
    assert conf.get("A") == 'a"b\\c\\d'
    assert conf.get("B") == "x#y"
    assert conf.get("C") == "$not $expanded"
    assert conf.get("D") == "a b"


def test_commented_assignment_and_export_without_value_set_nothing():
    conf = parse_sysconfig('#KDUMP_BOOTDIR="/boot"\n   # KDUMP_X=1\nexport KDUMP_Y\n')
    assert conf.names() == [] and conf.get("KDUMP_BOOTDIR") is None


@pytest.mark.parametrize(
    "text",
    [
        'A="unterminated\nrest"\n',
        "A='open\n",
        "A=x \\\n",
        'A="$HOME"\n',
        "A=$(uname -r)\n",
        "A=`uname -r`\n",
        "A=~/x\n",
        "A=1; B=2\n",
        "A=1 B=2\n",
        "if true; then A=1; fi\n",
        "path /var/crash\n",
        "source /etc/other\n",
    ],
)
def test_unsupported_shell_is_refused(text):
    with pytest.raises(ParseError):
        parse_sysconfig(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_arbitrary_text_round_trips_or_is_refused(text):
    try:
        conf = parse_sysconfig(text)
    except ParseError:
        return
    assert conf.text == text


_SAFE_VALUE = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters="\"'\\$`"),
    max_size=20,
)


@st.composite
def _well_formed(draw):
    """(text, expected values): comment/blank lines and assignments in every quote style."""
    lines, expected = [], {}
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["comment", "blank", "double", "single", "bare"]))
        name = draw(st.sampled_from(["KDUMP_A", "KDUMP_B", "KEXEC_ARGS"]))
        value = draw(_SAFE_VALUE)
        prefix = draw(st.sampled_from(["", "  ", "export "]))
        suffix = draw(st.sampled_from(["", "  # note", "\t#"]))
        if kind == "comment":
            lines.append(f"#{name}={value}")
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
        elif kind == "double":
            lines.append(f'{prefix}{name}="{value}"{suffix}')
            expected[name] = value
        elif kind == "single":
            lines.append(f"{prefix}{name}='{value}'{suffix}")
            expected[name] = value
        else:
            word = "".join(value.split()).replace("(", "").replace(")", "")
            word = "".join(c for c in word if c not in ";&|<>~")
            lines.append(f"{prefix}{name}={word}{suffix}")
            expected[name] = word
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    return text, expected


@given(_well_formed())
def test_well_formed_files_parse_round_trip_and_read_back(case):
    text, expected = case
    conf = parse_sysconfig(text)
    assert conf.text == text
    assert {n: conf.get(n) for n in conf.names()} == expected


@given(_well_formed(), st.sampled_from(["KDUMP_A", "KDUMP_B", "NEW"]), _SAFE_VALUE)
def test_well_formed_files_set_touches_one_line(case, name, value):
    text, expected = case
    conf = parse_sysconfig(text)
    after = conf.set(name, value)
    assert after.get(name) == value
    assert {n: after.get(n) for n in after.names() if n != name} == {
        n: v for n, v in expected.items() if n != name
    }
    old, new = text.split("\n"), after.text.split("\n")
    if name in expected:
        assert len(old) == len(new)
        assert sum(a != b for a, b in zip(old, new)) <= 1
    else:
        assert after.text.startswith(text) and after.text.endswith(f'{name}="{value}"\n')


# --- set(): one byte range -------------------------------------------------------------
def test_set_changes_exactly_one_line_of_rhel7_7_x86_64():
    before = sample("sysconfig-kdump.rhel7.7.x86_64")
    conf = parse_sysconfig(before)
    new_append = EL7_APPEND + " acpi=noirq"
    after = conf.set("KDUMP_COMMANDLINE_APPEND", new_append)
    removed, added = changed_lines(before, after.text)
    assert removed == [f'KDUMP_COMMANDLINE_APPEND="{EL7_APPEND}"\n']
    assert added == [f'KDUMP_COMMANDLINE_APPEND="{new_append}"\n']
    assert after.get("KDUMP_COMMANDLINE_APPEND") == new_append
    assert conf.text == before  # the original object is unchanged
    assert len(after.text) == len(before) + len(" acpi=noirq")


def test_set_kernelver_in_kdump_utils_current_x86_64():
    before = sample("sysconfig-kdump.kdump-utils-current.x86_64")
    after = parse_sysconfig(before).set("KDUMP_KERNELVER", "5.14.0-427.el9.x86_64")
    assert changed_lines(before, after.text) == (
        ['KDUMP_KERNELVER=""\n'],
        ['KDUMP_KERNELVER="5.14.0-427.el9.x86_64"\n'],
    )


def test_set_keeps_single_quotes_export_and_trailing_comment():
    before = "# c\nexport A='old'   # keep me\nB=1\n"
    after = parse_sysconfig(before).set("A", "new value")
    assert after.text == "# c\nexport A='new value'   # keep me\nB=1\n"


def test_set_single_quoted_value_containing_apostrophe_switches_to_double_quotes():
    assert parse_sysconfig("A='x'\n").set("A", "it's").text == 'A="it\'s"\n'


def test_set_unquoted_value_becomes_double_quoted():
    assert parse_sysconfig("A=old\nB=2\n").set("A", "n e w").text == 'A="n e w"\nB=2\n'
    assert parse_sysconfig("A=\n").set("A", "x").text == 'A="x"\n'


def test_set_edits_the_last_assignment_only():
    after = parse_sysconfig('A="1"\nA="2"\n').set("A", "3")
    assert after.text == 'A="1"\nA="3"\n'
    assert after.get("A") == "3"


def test_set_missing_variable_is_appended():
    before = sample("sysconfig-kdump.rhel7.7.x86_64")
    after = parse_sysconfig(before).set("KDUMP_BOOTDIR", "/boot")
    assert after.text == before + 'KDUMP_BOOTDIR="/boot"\n'
    assert after.get("KDUMP_BOOTDIR") == "/boot"


def test_set_missing_variable_without_final_newline():
    assert parse_sysconfig('A="1"').set("B", "2").text == 'A="1"\nB="2"\n'
    assert parse_sysconfig("").set("B", "2").text == 'B="2"\n'


def test_set_keeps_a_missing_final_newline():
    before = sample("sysconfig-kdump.rhel7.7.x86_64").rstrip("\n")
    after = parse_sysconfig(before).set("KDUMP_IMG_EXT", ".x")
    assert after.text == before[: -len('""')] + '".x"'
    assert not after.text.endswith("\n")


@pytest.mark.parametrize("value", ["a\nb", "a\0b", 'a"b', "a\\b", "$HOME", "`id`", "a$(id)"])
def test_set_refuses_dangerous_values(value):
    conf = parse_sysconfig('A="1"\n')
    with pytest.raises(ValueError):
        conf.set("A", value)


@pytest.mark.parametrize("name", ["", "1A", "A-B", "A B", "A=B", "export A"])
def test_set_refuses_bad_names(name):
    with pytest.raises(ValueError):
        parse_sysconfig("").set(name, "x")


@given(
    st.sampled_from(SYSCONFIG_SAMPLES),
    st.sampled_from(["KDUMP_KERNELVER", "KDUMP_COMMANDLINE_APPEND", "KEXEC_ARGS", "KDUMP_IMG", "NEW_VAR"]),
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters='"\\$`'),
        max_size=30,
    ),
)
def test_set_changes_one_line_and_reads_back(name, var, value):
    before = sample(name)
    conf = parse_sysconfig(before)
    after = conf.set(var, value)
    assert after.get(var) == value
    removed, added = changed_lines(before, after.text)
    if conf.get(var) == value:
        assert after.text == before
    else:
        assert len(added) == 1 and len(removed) == (1 if var in conf else 0)
    for other in conf.names():
        if other != var:
            assert after.get(other) == conf.get(other)


# --- merge_tokens ---------------------------------------------------------------------------
def test_merge_reset_devices_already_present_on_rhel7_7_x86_64_changes_nothing():
    current = parse_sysconfig(sample("sysconfig-kdump.rhel7.7.x86_64")).get("KDUMP_COMMANDLINE_APPEND")
    assert "reset_devices" in current.split()
    assert merge_tokens(current, ["reset_devices=1"], []) == current
    assert merge_tokens("a reset_devices=1 b", ["reset_devices"], []) == "a reset_devices=1 b"


def test_merge_reset_devices_added_where_missing_rhel7_7_s390x():
    current = parse_sysconfig(sample("sysconfig-kdump.rhel7.7.s390x")).get("KDUMP_COMMANDLINE_APPEND")
    assert merge_tokens(current, ["reset_devices=1"], []) == current + " reset_devices=1"


def test_merge_acpi_noirq_add_and_remove():
    added = merge_tokens(EL7_APPEND, ["acpi=noirq"], [])
    assert added == EL7_APPEND + " acpi=noirq"
    assert merge_tokens(added, [], ["acpi=noirq"]) == EL7_APPEND
    assert merge_tokens(added, [], ["acpi"]) == EL7_APPEND
    assert merge_tokens(added, [], ["acpi=off"]) == added  # exact key=value only
    # acpi_no_memhotplug is another key: a bare "acpi" must not touch it
    assert "acpi_no_memhotplug" in merge_tokens(added, [], ["acpi"]).split()


def test_merge_replaces_first_same_key_in_place_and_drops_the_others():
    assert merge_tokens("a nr_cpus=4 b nr_cpus=2 c", ["nr_cpus=1"], []) == "a nr_cpus=1 b c"
    assert merge_tokens("a acpi b", ["acpi=noirq"], []) == "a acpi=noirq b"
    assert merge_tokens("a acpi=off b", ["acpi"], []) == "a acpi b"


def test_merge_identical_token_present_changes_nothing_even_with_other_values():
    assert merge_tokens("console=tty0 console=ttyS0", ["console=ttyS0"], []) == "console=tty0 console=ttyS0"


def test_merge_remove_bare_key_removes_all_forms_and_duplicates():
    assert merge_tokens("x  panic=10 y panic panic=20\tz", [], ["panic"]) == "x y z"
    assert merge_tokens("reset_devices a reset_devices=1", [], ["reset_devices=1"]) == "a"


def test_merge_normalises_whitespace_and_handles_empty():
    assert merge_tokens("  a \t b  ", [], []) == "a b"
    assert merge_tokens("", ["a=1"], []) == "a=1"
    assert merge_tokens("", [], ["a"]) == ""


def test_merge_ensure_wins_over_remove():
    assert merge_tokens("acpi=off x", ["acpi=noirq"], ["acpi"]) == "x acpi=noirq"
    assert merge_tokens("acpi=noirq x", ["acpi=noirq"], ["acpi"]) == "acpi=noirq x"


@pytest.mark.parametrize("items", [["a b"], [""], ["=1"], "reset_devices"])
def test_merge_refuses_bad_items(items):
    with pytest.raises(ValueError):
        merge_tokens("a", items, [])
    with pytest.raises(ValueError):
        merge_tokens("a", [], items)


def test_tokens_equal():
    assert tokens_equal("reset_devices", "reset_devices=1")
    assert tokens_equal("reset_devices=1", "reset_devices")
    assert not tokens_equal("reset_devices", "reset_devices=0")
    assert not tokens_equal("acpi", "acpi=1")
    assert tokens_equal("acpi=noirq", "acpi=noirq")


_TOKEN = st.builds(
    lambda k, v: k if v is None else f"{k}={v}",
    st.sampled_from(["a", "b", "acpi", "reset_devices", "nr_cpus", "console"]),
    st.one_of(st.none(), st.sampled_from(["0", "1", "noirq", "ttyS0", "x=y"])),
)


@given(st.lists(_TOKEN, max_size=10), st.lists(_TOKEN, max_size=4), st.lists(_TOKEN, max_size=4))
def test_merge_is_idempotent(current, ensure, remove):
    once = merge_tokens(" ".join(current), ensure, remove)
    assert merge_tokens(once, ensure, remove) == once


@given(st.lists(_TOKEN, max_size=10), st.lists(_TOKEN, max_size=4), st.lists(_TOKEN, max_size=4))
def test_merge_result_contains_every_ensured_item(current, ensure, remove):
    result = merge_tokens(" ".join(current), ensure, remove).split()
    # the last ensure item of each key is the one that stays
    last = {}
    for item in ensure:
        last[item.partition("=")[0]] = item
    for item in last.values():
        assert any(tokens_equal(t, item) for t in result)
