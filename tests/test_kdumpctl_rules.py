"""reconciler.rules.kdumpctl against the conformance corpus and a few direct cases.

The corpus (tests/fixtures/kdumpconf-corpus/<release>/<name>.conf + verdicts.json)
records, per file, what the real kdumpctl start of that release does (verdict,
messages) as read from its source; see docs/kdumpctl-rules.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.rules.kdumpctl import (
    RELEASES,
    RULES,
    HostView,
    check_kdump_conf,
    profile,
    render_value,
    rtkdump_verdict,
    tool_verdict,
)

CORPUS = Path(__file__).parent / "fixtures" / "kdumpconf-corpus"
VERDICTS = json.loads((CORPUS / "verdicts.json").read_text())
DOC = Path(__file__).parent.parent / "docs" / "kdumpctl-rules.md"


def test_corpus_is_complete():
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*.conf")}
    assert on_disk == set(VERDICTS)
    assert len(VERDICTS) >= 30
    assert {v["release"] for v in VERDICTS.values()} == set(RELEASES)
    for key, v in VERDICTS.items():
        assert key.split("/")[0] == v["release"]
        assert v["verdict"] in ("accept", "refuse") and v["rtkdump"] in ("accept", "refuse")
        assert set(v["rules"]) <= set(RULES), key


@pytest.mark.parametrize("key", sorted(VERDICTS))
def test_corpus_verdict(key):
    v = VERDICTS[key]
    text = (CORPUS / key).read_text()
    host = HostView.from_dict(v["host"]) if "host" in v else None
    findings = check_kdump_conf(text, v["release"], host)
    shown = [(f.lineno, f.rule, f.message) for f in findings]
    assert tool_verdict(findings) == v["verdict"], shown
    assert rtkdump_verdict(findings) == v["rtkdump"], shown
    messages = [f.message for f in findings]
    for message in v["messages"]:
        assert message in messages, shown
    assert set(v["rules"]) <= {f.rule for f in findings}, shown


def test_state_only_findings_do_not_need_the_host():
    # Without a HostView no host-dependent finding may appear.
    for key, v in VERDICTS.items():
        findings = check_kdump_conf((CORPUS / key).read_text(), v["release"])
        assert not [f for f in findings if f.needs_host], key


@pytest.mark.parametrize("release", RELEASES)
def test_ssh_and_raw_need_F_everywhere(release):
    for target in ("ssh kdump@dumps.example.com", "raw /dev/sdb1"):
        f = check_kdump_conf(f"{target}\ncore_collector makedumpfile -l -d 31\n", release)
        assert 'The specified dump target needs makedumpfile "-F" option.' in [x.message for x in f]


@pytest.mark.parametrize("release", RELEASES)
def test_F_on_local_target(release):
    findings = check_kdump_conf("path /var/crash\ncore_collector makedumpfile -F -l -d 31\n", release)
    rules = {f.rule for f in findings}
    assert rules & {"check-params", "el7-flattened-fs"}
    # RHEL 7 kdumpctl lets it through (no --check-params), rtkdump does not.
    assert tool_verdict(findings) == ("accept" if release == "7.9" else "refuse")
    assert rtkdump_verdict(findings) == "refuse"


@pytest.mark.parametrize("release", RELEASES)
def test_uppercase_ssh_host(release):
    findings = check_kdump_conf("ssh kdump@Dumps.Example.com\ncore_collector makedumpfile -F -l\n", release)
    refused = "Invalid ssh destination kdump@Dumps.Example.com provided." in [f.message for f in findings]
    assert refused == profile(release).ssh_g_check
    assert refused == (release not in ("7.9", "9.0"))


@pytest.mark.parametrize("release", RELEASES)
def test_no_release_strips_quotes(release):
    findings = check_kdump_conf('path /var/crash\nfinal_action "reboot"\n', release)
    assert "quoted-value" in {f.rule for f in findings}
    assert rtkdump_verdict(findings) == "refuse"
    assert not profile(release).strips_quotes


def test_missing_sshkey_warns_and_falls_back():
    host = HostView.from_dict({"files": {}})
    for release in RELEASES:
        text = "ssh kdump@dumps.example.com\nsshkey /root/.ssh/other\ncore_collector makedumpfile -F -l\n"
        findings = check_kdump_conf(text, release, host)
        warn = [f for f in findings if f.rule == "sshkey-missing"]
        assert warn and warn[0].severity == "warning", release
        assert "using default value '/root/.ssh/kdump_id_rsa'" in warn[0].message
        assert tool_verdict(findings) == "accept", release


def test_hooks_must_exist_and_be_executable():
    text = "path /var/crash\nkdump_post /usr/local/bin/post.sh\n"
    missing = HostView.from_dict({"files": {}, "dirs": ["/var/crash"]})
    plain = HostView.from_dict({"files": {"/usr/local/bin/post.sh": "f"}, "dirs": ["/var/crash"]})
    for release in RELEASES:
        assert "Error: /usr/local/bin/post.sh not found." in [
            f.message for f in check_kdump_conf(text, release, missing)
        ]
        assert "Error: /usr/local/bin/post.sh is not executable." in [
            f.message for f in check_kdump_conf(text, release, plain)
        ]


def test_first_build_skips_hook_checks():
    # kdump_pre/post/extra_bins are checked only from check_system_modified /
    # is_system_modified, which return "rebuild" at once when no kdump initramfs exists.
    text = "path /var/crash\nkdump_post /usr/local/bin/post.sh\n"
    host = HostView.from_dict({"files": {}, "dirs": ["/var/crash"], "initrd_exists": False})
    for release in RELEASES:
        assert tool_verdict(check_kdump_conf(text, release, host)) == "accept", release


def test_force_no_rebuild_skips_mkdumprd():
    text = "ssh kdump@dumps.example.com\ncore_collector makedumpfile -l\nforce_no_rebuild 1\n"
    findings = check_kdump_conf(text, "9.4")
    assert "needs-F" not in {f.rule for f in findings}
    assert "no-rebuild-skips-checks" in {f.rule for f in findings}


def test_default_handling_by_release():
    text = "default reboot\nfailure_action reboot\n"
    msgs = {r: [f.message for f in check_kdump_conf(text, r)] for r in RELEASES}
    assert "Invalid kdump config option failure_action" in msgs["7.9"]
    for r in ("9.0", "9.2"):
        assert "Cannot specify 'failure_action' and 'default' option together" in msgs[r]
    for r in ("8.10", "9.4", "10.0", "10.1"):
        assert "Duplicated kdump config value of option failure_action" in msgs[r]


def test_empty_target_value_names_the_internal_key():
    assert "Invalid kdump config value for option '_target'" in [
        f.message for f in check_kdump_conf("ssh\n", "9.4")
    ]
    assert "Invalid kdump config value for option ssh." in [
        f.message for f in check_kdump_conf("ssh\n", "7.9")
    ]


@pytest.mark.parametrize(
    "value",
    ['"makedumpfile -l"', "a#b", "x\ny", " lead", "trail ", "", "a\tb"],
)
def test_render_value_refuses(value):
    for release in RELEASES:
        with pytest.raises(ValueError):
            render_value(value, release)


def test_render_value_keeps_spaces_unquoted():
    for release in RELEASES:
        assert render_value("makedumpfile -l --message-level 7 -d 31", release) == (
            "makedumpfile -l --message-level 7 -d 31"
        )


def test_every_rule_is_documented():
    doc = DOC.read_text()
    documented = set(re.findall(r"`([A-Za-z0-9-]+)`", doc))
    assert set(RULES) <= documented, sorted(set(RULES) - documented)
