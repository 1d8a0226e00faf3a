"""Fact parsers against recorded and constructed samples (tests/fixtures/facts/*.json).

Each JSON case names a sample under tests/fixtures/samples/, how it was produced
(command, exit code, stream) and the parser's expected result as plain JSON, or
``"error"``: a substring of the ParseError message the parser must raise.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import string
from pathlib import Path
from typing import Any, Dict, List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.facts import boot, kernel, packages, platform, services
from reconciler.facts.model import BootEntry, CrashRegion, CrashReservation, ParseError
from reconciler.host import CommandResult

FIXTURES = Path(__file__).parent / "fixtures"
CASES_DIR = FIXTURES / "facts"
SAMPLES_DIR = FIXTURES / "samples"
REFERENCE = Path("/work/shared/reference/samples")

CASE_FILES = sorted(CASES_DIR.glob("*.json"))
# Parsers that take the whole CommandResult (exit code and both streams); the rest take text.
RESULT_PARSERS = {"packages.parse_rpm_query", "services.parse_is_enabled", "services.parse_is_active"}


def plain(value: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists, recursively (the JSON shape of "expected")."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def read_sample(name: str) -> str:
    with open(SAMPLES_DIR / name, encoding="utf-8", newline="") as fh:
        return fh.read()


def run_case(case: Dict[str, Any]) -> Any:
    module_name, func_name = case["parser"].split(".")
    func = getattr(importlib.import_module(f"reconciler.facts.{module_name}"), func_name)
    args = dict(case.get("args", {}))
    sample = case["sample"]
    if isinstance(sample, dict):  # several files -> keyword arguments (None: file absent)
        kwargs = {k: (read_sample(v) if v is not None else None) for k, v in sample.items()}
        return func(**kwargs, **args)
    text = read_sample(sample)
    if case["parser"] not in RESULT_PARSERS:  # text parsers get the file or the captured stream as is
        return func(text, **args)
    streams = {"stdout": "", "stderr": ""}
    streams[case["stream"]] = text
    for stream, other in case.get("other_streams", {}).items():
        streams[stream] = read_sample(other)
    result = CommandResult(
        tuple(case["command"].split()), case["exit_code"], streams["stdout"], streams["stderr"]
    )
    return func(result, **args)


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_fixture_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    if "error" in case:
        with pytest.raises(ParseError) as info:
            run_case(case)
        assert case["error"] in str(info.value)
        return
    result = run_case(case)
    assert plain(result) == case["expected"]
    props = case.get("properties")
    if isinstance(props, list):  # one dict per element of a tuple result
        assert len(props) == len(result)
        for item, wanted in zip(result, props):
            assert {k: getattr(item, k) for k in wanted} == wanted
    elif props:
        assert {k: getattr(result, k) for k in props} == props


# --- the fixture set itself -------------------------------------------------
def _case_samples() -> List[str]:
    names = []
    for path in CASE_FILES:
        case = json.loads(path.read_text(encoding="utf-8"))
        sample = case["sample"]
        names += [v for v in sample.values() if v] if isinstance(sample, dict) else [sample]
        names += list(case.get("other_streams", {}).values())
    return names


def _provenance() -> Dict[str, str]:
    lines = (SAMPLES_DIR / "PROVENANCE.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file\tprovenance"
    rows = dict(line.split("\t", 1) for line in lines[1:])
    return rows


def test_fixture_set_is_complete_and_well_formed() -> None:
    assert len(CASE_FILES) >= 100
    keys = {"sample", "provenance", "command", "exit_code", "stream", "parser", "expected"}
    parsers = set()
    for path in CASE_FILES:
        case = json.loads(path.read_text(encoding="utf-8"))
        assert keys <= set(case), path.name
        assert case["stream"] in ("stdout", "stderr", "file"), path.name
        assert case["provenance"].strip(), path.name
        parsers.add(case["parser"])
    for module in (boot, kernel, packages, platform, services):
        for name in module.__all__:
            assert f"{module.__name__.rsplit('.', 1)[1]}.{name}" in parsers, f"{name} has no fixture case"


def test_every_used_sample_exists_and_has_provenance() -> None:
    # tests/fixtures/samples is shared with other fixture sets: check only what these cases use.
    prov = _provenance()
    used = set(_case_samples())
    assert len(used) >= 90
    for name in sorted(used):
        assert (SAMPLES_DIR / name).is_file(), name
        assert prov.get(name, "").strip(), f"{name} has no PROVENANCE.tsv row"
        if "constructed" in name:
            assert "constructed" in prov[name], name
    for name in prov:
        assert (SAMPLES_DIR / name).is_file(), f"PROVENANCE.tsv lists a missing file: {name}"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference samples not available")
def test_copied_samples_are_verbatim() -> None:
    checked = 0
    for name in set(_case_samples()):
        path = SAMPLES_DIR / name
        for ref in (REFERENCE / name, REFERENCE / "commands" / name):
            if ref.is_file():
                assert path.read_bytes() == ref.read_bytes(), path.name
                checked += 1
    assert checked >= 45


# --- direct checks of rules the fixtures only touch once ---------------------
def test_bls_values_keep_inner_quotes_and_only_one_pair_is_stripped() -> None:
    (e,) = boot.parse_grubby_info('index=0\nkernel="/boot/vmlinuz-x"\nargs="a="b"""\ntitle=""quoted""\n')
    assert e.args == ('a="b""',)
    assert e.title == '"quoted"'


def test_grubby_info_rejects_out_of_place_lines() -> None:
    with pytest.raises(ParseError, match="before any index"):
        boot.parse_grubby_info('kernel="/boot/vmlinuz-x"\nindex=0\n')
    with pytest.raises(ParseError, match="second kernel="):
        boot.parse_grubby_info("index=0\nkernel=/boot/a\nkernel=/boot/b\n")
    with pytest.raises(ParseError, match="printed twice"):
        boot.parse_grubby_info("index=0\nkernel=/boot/a\nindex=0\nkernel=/boot/b\n")
    with pytest.raises(ParseError, match="both a kernel"):
        boot.parse_grubby_info("index=0\nkernel=/boot/a\nnon linux entry\n")


def test_grubby_info_noise_only_is_no_entries() -> None:
    assert boot.parse_grubby_info("") == ()
    assert boot.parse_grubby_info("rpm-sort: Invalid input\ngrep: /boot/grub2/grubenv: No such file\n") == ()


def test_grubby_default_kernel_takes_the_last_path() -> None:
    assert (
        boot.parse_grubby_default_kernel("/boot/vmlinuz-a\ngrep: x: y\n/boot/vmlinuz-b\n")
        == "/boot/vmlinuz-b"
    )
    assert boot.parse_grubby_default_index("-1\n") is None


def test_iomem_mixed_zero_and_real_crash_lines_is_an_error() -> None:
    text = "00000000-00000000 : Crash kernel\n2a000000-340fffff : Crash kernel\n"
    with pytest.raises(ParseError, match="mixes zeroed"):
        kernel.parse_iomem_crash(text)


def test_rpm_query_edge_cases() -> None:
    ok = CommandResult(("rpm", "-q", "kernel"), 0, "", "")
    with pytest.raises(ParseError, match="printed nothing about 'kernel'"):
        packages.parse_rpm_query(ok, ["kernel"])
    stray = CommandResult(("rpm", "-q", "kernel"), 1, "package kexec-tools is not installed\n", "")
    with pytest.raises(ParseError, match="not asked for"):
        packages.parse_rpm_query(stray, ["kernel"])
    timed_out = CommandResult(("rpm", "-q", "kernel"), -1, "", "", timed_out=True)
    with pytest.raises(ParseError, match="timed out"):
        packages.parse_rpm_query(timed_out, ["kernel"])
    # asking twice for a missing name: rpm prints the miss twice and exits 2
    twice = CommandResult(
        ("rpm", "-q", "x", "x"), 2, "package x is not installed\npackage x is not installed\n", ""
    )
    assert packages.parse_rpm_query(twice, ["x", "x"]).missing == ("x",)
    # the version after NAME- must start with a digit: anything else is not an NVRA of NAME
    odd = CommandResult(("rpm", "-q", "kernel"), 0, "kernel-devel-tools\n", "")
    with pytest.raises(ParseError, match="not an NVRA"):
        packages.parse_rpm_query(odd, ["kernel"])
    # a warning on stderr is not a failure
    warned = CommandResult(
        ("rpm", "-q", "kernel"), 0, "kernel-5.14.0-1.el9.x86_64\n", "warning: something odd\n"
    )
    assert packages.parse_rpm_query(warned, ["kernel"]).installed == {
        "kernel": ("kernel-5.14.0-1.el9.x86_64",)
    }


def test_is_enabled_other_failures_are_errors() -> None:
    denied = CommandResult(
        ("systemctl", "is-enabled", "kdump"),
        1,
        "",
        "Failed to get unit file state for kdump.service: Access denied\n",
    )
    with pytest.raises(ParseError):
        services.parse_is_enabled(denied)
    with pytest.raises(ParseError, match="more than one word"):
        services.parse_is_active(CommandResult(("systemctl",), 3, "inactive\ninactive\n", ""))


def test_os_release_quote_errors() -> None:
    with pytest.raises(ParseError, match="unterminated"):
        platform.parse_os_release('ID="rhel\nVERSION_ID=9\n')
    with pytest.raises(ParseError, match="not a version"):
        platform.parse_os_release("ID=rhel\nVERSION_ID=nine\n")


# --- properties (hypothesis) -------------------------------------------------
TOKEN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12
)
SPACE = st.text(alphabet=" \t", min_size=1, max_size=4)


@given(
    tokens=st.lists(TOKEN, max_size=20),
    seps=st.lists(SPACE, min_size=21, max_size=21),
    lead=st.sampled_from(["", " ", "  "]),
)
def test_cmdline_round_trip(tokens: List[str], seps: List[str], lead: str) -> None:
    text = lead + "".join(t + s for t, s in zip(tokens, seps)) + "\n"
    cmdline = kernel.parse_proc_cmdline(text)
    assert cmdline.tokens == tuple(tokens)
    assert kernel.parse_proc_cmdline(" ".join(cmdline.tokens)).tokens == tuple(tokens)


VALUE = st.text(alphabet=string.ascii_letters + string.digits + '/.-_=:,"$()+ ', max_size=30)
WORD = st.text(alphabet=string.ascii_letters + string.digits + '/.-_=:,"$+', min_size=1, max_size=15)
NOISE = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=60).filter(
    lambda s: (
        not re.match(r"^(index|kernel|args|root|initrd|title|id|boot)=", s) and s.strip() != "non linux entry"
    )
)


@st.composite
def bls_entries(draw):
    n = draw(st.integers(min_value=0, max_value=5))
    out = []
    for i in range(n):
        out.append(
            BootEntry(
                index=i,
                kernel="/boot/vmlinuz-" + draw(WORD),
                args=tuple(draw(st.lists(WORD, max_size=8))),
                root=draw(st.one_of(st.none(), WORD)),
                initrds=tuple(draw(st.lists(WORD, min_size=1, max_size=3))),
                title=draw(VALUE),
                id=draw(WORD),
            )
        )
    return out


def render_bls(entries: List[BootEntry]) -> List[str]:
    lines = []
    for e in entries:
        lines.append(f"index={e.index}")
        lines.append(f'kernel="{e.kernel}"')
        lines.append(f'args="{" ".join(e.args)}"')
        if e.root is not None:
            lines.append(f'root="{e.root}"')
        lines.append(f'initrd="{" ".join(e.initrds)}"')
        lines.append(f'title="{e.title}"')
        lines.append(f'id="{e.id}"')
    return lines


@settings(max_examples=150)
@given(entries=bls_entries(), noise=st.lists(st.tuples(st.integers(min_value=0), NOISE), max_size=8))
def test_bls_parser_ignores_noise_lines_anywhere(entries: List[BootEntry], noise) -> None:
    lines = render_bls(entries)
    for pos, text in noise:
        lines.insert(pos % (len(lines) + 1), text)
    assert boot.parse_grubby_info("\n".join(lines) + "\n") == tuple(entries)


@settings(max_examples=100)
@given(
    entries=st.lists(st.tuples(st.booleans(), WORD, st.lists(WORD, max_size=6), VALUE), max_size=5),
    trailing=st.booleans(),
)
def test_c_grubby_round_trip(entries, trailing: bool) -> None:
    lines, expected = [], []
    for i, (linux, kver, args, title) in enumerate(entries):
        lines.append(f"index={i}")
        if not linux:
            lines.append("non linux entry")
            expected.append(BootEntry(index=i))
            continue
        title = title.strip('"') or "t"
        lines += [
            f"kernel=/boot/vmlinuz-{kver}",
            f'args="{" ".join(args)}{" " if trailing else ""}"',
            "root=UUID=6bea2b7b",
            f"initrd=/boot/initramfs-{kver}.img",
            f"title={title}",
        ]
        expected.append(
            BootEntry(
                index=i,
                kernel=f"/boot/vmlinuz-{kver}",
                args=tuple(args),
                root="UUID=6bea2b7b",
                initrds=(f"/boot/initramfs-{kver}.img",),
                title=title,
            )
        )
    assert boot.parse_grubby_info("\n".join(lines) + "\n") == tuple(expected)


PKG = st.sampled_from(
    ["kernel", "kernel-rt", "kernel-rt-core", "kernel-core", "kexec-tools", "rt-setup", "tuned"]
)
VERSION = st.from_regex(r"\A[0-9][0-9a-z_.+]{0,8}\Z")
RELEASE = st.from_regex(r"\A[0-9a-z_.]{1,10}\Z").filter(lambda r: not r.endswith("."))


@settings(max_examples=150)
@given(asked=st.lists(PKG, min_size=1, max_size=5, unique=True), data=st.data())
def test_rpm_query_attributes_lines_to_the_right_name(asked: List[str], data) -> None:
    out, installed, missing = [], {}, []
    for name in asked:
        versions = data.draw(st.lists(st.tuples(VERSION, RELEASE), max_size=3))
        if not versions:
            out.append(f"package {name} is not installed")
            missing.append(name)
            continue
        installed[name] = tuple(f"{name}-{v}-{r}.x86_64" for v, r in versions)
        out += installed[name]
    result = CommandResult(("rpm", "-q", *asked), len(missing), "\n".join(out) + "\n", "")
    parsed = packages.parse_rpm_query(result, asked)
    assert parsed.installed == installed
    assert parsed.missing == tuple(missing)


@given(
    regions=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=2**40),
            st.integers(min_value=0, max_value=2**32),
            st.integers(0, 5),
        ),
        max_size=3,
    ),
    filler=st.lists(st.tuples(st.integers(0, 2**36), st.integers(0, 5)), min_size=1, max_size=5),
)
def test_iomem_round_trip(regions, filler) -> None:
    lines = [f"{'  ' * d}{a:08x}-{a + 4095:08x} : System RAM" for a, d in filler]
    expected = []
    for start, size, depth in regions:
        lines.append(f"{'  ' * depth}{start:08x}-{start + size:08x} : Crash kernel")
        expected.append(CrashRegion(start=start, end=start + size))
    assert kernel.parse_iomem_crash("\n".join(lines) + "\n") == CrashReservation(tuple(expected))
    zeroed = [re.sub(r"[0-9a-f]+-[0-9a-f]+ :", "00000000-00000000 :", ln) for ln in lines]
    assert kernel.parse_iomem_crash("\n".join(zeroed) + "\n") == (None if regions else CrashReservation(()))


@given(
    path=st.from_regex(r"\A/boot/vmlinuz-[0-9a-z._+-]{1,20}\Z"),
    noise=st.lists(st.from_regex(r"\A[a-z0-9/._-]{1,12}: [ -~]{0,30}\Z"), max_size=3),
)
def test_default_kernel_with_noise(path: str, noise: List[str]) -> None:
    assert boot.parse_grubby_default_kernel("\n".join(noise + [path]) + "\n") == path


# --- the fixtures name the commands gather() really runs -----------------------
class _EmptyAnswers:
    """Answers every command with exit 0 and no output, remembering the argv."""

    def __init__(self) -> None:
        self.calls: List[tuple] = []

    def __call__(self, argv, timeout, stdin=None):
        self.calls.append(tuple(argv))
        return CommandResult(tuple(argv), 0, "", "")


def _source_key(text: str) -> str:
    """A fact source without root paths, redirections and remarks: 'rpm -q', 'file /proc/iomem'."""
    text = text.replace(" 2>&1", "").split(" (")[0].split(" + ")[0]
    words = text.split()
    out, skip = [], 0
    for word in words:
        if skip:
            skip -= 1
            continue
        if word in ("--root", "--config-file"):
            skip = 1
            continue
        if word in ("--bls-directory", "--env"):
            skip = 1
            continue
        out.append(word)
    if out[:2] == ["command", "rpm"] or out[:1] == ["rpm"]:
        out = out[: out.index("-q") + 1]
    return " ".join(w for w in out if w != "command")


def test_every_fixture_names_a_source_that_gather_reads(tmp_path: Path) -> None:
    from reconciler.facts import FactRequest, gather
    from reconciler.host import Host

    # an empty tree, and one with only /etc/redhat-release (the os-release fallback)
    fallback = tmp_path / "fallback"
    (fallback / "etc").mkdir(parents=True)
    (fallback / "etc" / "redhat-release").write_text("Red Hat Enterprise Linux release 9.4 (Plow)\n")
    sources = set()
    for root in (tmp_path / "empty", fallback):
        root.mkdir(exist_ok=True)
        facts = gather(Host(root=root, runner=_EmptyAnswers()), FactRequest(packages=("kexec-tools",)))
        sources |= {_source_key(part) for fact in facts.all().values() for part in fact.source.split("; ")}
    for path in CASE_FILES:
        case = json.loads(path.read_text(encoding="utf-8"))
        if case.get("gather") is False:  # a parser-only case: gather() does not run this command
            continue
        assert _source_key(case["command"]) in sources, (path.name, case["command"], sorted(sources))
