#!/bin/bash
# The contrib/ checks, for .ci/run:   bash contrib/ci-checks.sh
# Run from the repository root, with a virtualenv active that has rtkdump installed
# (pip install -e '.[dev]'). What it does:
#   1. installs the Debian tools the checks need, when one is missing (mandoc, man-db, systemd's
#      systemd-analyze, rpm/rpmbuild/rpmspec, rpm2cpio, cpio, unzip, dnf, createrepo-c, git,
#      util-linux's unshare, bash-completion)
#   2. lints the man page (mandoc -T lint, man --warnings) and the shell files (bash -n)
#   3. systemd-analyze verify on the units, in a temporary root (works offline)
#   4. builds the RPM for RHEL 7, 8, 9 and 10 with the real rpmbuild (pip fetches the vendored
#      wheels from PyPI once, into ~/.cache/rtkdump-rpm-sources)
#   5. installs ansible-core and pre-commit into their own virtualenv ($RTKDUMP_TOOLS_VENV,
#      default ~/.cache/rtkdump-tools-venv), for the collection's and the hooks' tests
#   6. python -m pytest tests/contrib (the slow ones too: dnf install into a simulated host,
#      ansible-playbook against simulated hosts); RTKDUMP_CONTRIB_PYTEST=0 skips this step when
#      .ci/run runs tests/contrib in its own pytest run
#   7. ansible-test sanity on the collection (RTKDUMP_ANSIBLE_SANITY=0 skips it; the first run
#      builds a virtualenv per sanity test from PyPI, a few minutes; later runs take seconds)
set -euo pipefail

top=$(git rev-parse --show-toplevel)
cd "$top"
python=${PYTHON:-python}
say() { printf '\n== %s\n' "$*"; }

say "tools"
missing=()
for pair in mandoc:mandoc man:man-db systemd-analyze:systemd rpmbuild:rpm rpmspec:rpm rpm2cpio:rpm2cpio cpio:cpio \
    unzip:unzip dnf:dnf createrepo_c:createrepo-c git:git unshare:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# For the completion test with the real _init_completion/_filedir.
[ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "ci-checks: missing ${missing[*]} and cannot apt-get install them" >&2
        exit 1
    fi
fi

say "man page lint"
mandoc -T lint -W style contrib/man/rtkdump.8
# man prints troff's warnings on stderr and still exits 0: an empty stderr is the check.
man_err=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l contrib/man/rtkdump.8 2>&1 >/dev/null)
if [ -n "$man_err" ]; then
    echo "$man_err" >&2
    exit 1
fi
echo "rtkdump.8: clean"

say "shell syntax"
bash -n contrib/git/pre-commit contrib/completion/rtkdump.bash contrib/rpm/build.sh contrib/ci-checks.sh
echo ok

say "systemd-analyze verify"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/etc" "$root/usr/lib/systemd/system" "$root/usr/share/man/man8"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/rtkdump"
chmod 0755 "$root/usr/bin/rtkdump"
cp "$(command -v touch)" "$root/usr/bin/touch"
# The standard targets the units order against, from this machine's systemd.
cp -a /usr/lib/systemd/system/*.target "$root/usr/lib/systemd/system/"
cp contrib/systemd/*.service contrib/systemd/*.timer "$root/usr/lib/systemd/system/"
cp contrib/man/rtkdump.8 "$root/usr/share/man/man8/"
units=(rtkdump-apply.service rtkdump-apply.timer rtkdump-firstboot.service)
MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "${units[@]}"
echo "${units[*]}: clean"
# For the record, not a gate: systemd's own exposure score of the periodic service.
systemd-analyze security --offline=yes --root="$root" rtkdump-apply.service 2>/dev/null | tail -1 || true

say "RPM builds (rpmbuild)"
rpmdir=$root/rpms
for release in 7 8 9 10; do
    PYTHON=$python bash contrib/rpm/build.sh "$release" "$rpmdir"
done

say "ansible-core, pre-commit"
# Their own virtualenv: their dependencies must not leak into the project's.
ansible_venv=${RTKDUMP_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/rtkdump-tools-venv}
if [ ! -x "$ansible_venv/bin/ansible-playbook" ] || [ ! -x "$ansible_venv/bin/pre-commit" ]; then
    "$python" -m venv "$ansible_venv"
    # 2.16-2.18: Python 3.10+ controllers; 2.18 still manages Python 3.8+ hosts.
    "$ansible_venv/bin/pip" install -q 'ansible-core>=2.16,<2.19' 'pre-commit>=3'
fi
"$ansible_venv/bin/pre-commit" --version
ansible_version=$("$ansible_venv/bin/ansible-playbook" --version)  # not piped into head: SIGPIPE
echo "${ansible_version%%$'\n'*}"
export RTKDUMP_TOOLS_VENV=$ansible_venv

if [ "${RTKDUMP_CONTRIB_PYTEST:-1}" != 0 ]; then
    say "pytest tests/contrib"
    "$python" -m pytest -q tests/contrib
fi

if [ "${RTKDUMP_ANSIBLE_SANITY:-1}" = 1 ]; then
    say "ansible-test sanity"
    # ansible-test bootstraps pip in each test virtualenv with a get-pip.py it downloads from a
    # host CI cannot reach; it uses a cached copy when there is one. The stand-in uses the
    # standard library's ensurepip, then PyPI (contrib/ansible/get-pip-offline.py).
    pip_version=$("$ansible_venv/bin/python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements)).group(1))
PY
)
    mkdir -p "$HOME/.ansible/test/cache"
    cp contrib/ansible/get-pip-offline.py "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    py_version=$("$ansible_venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    (cd contrib/ansible/ansible_collections/rtkdump/kdump &&
        "$ansible_venv/bin/ansible-test" sanity --python "$py_version" --requirements --color no)
fi
echo
echo "ci-checks: all contrib checks passed"
