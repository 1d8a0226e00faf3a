#!/bin/bash
# Build the rtkdump RPM for one RHEL release with the real rpmbuild, from a git archive of the
# checkout (tracked files, including uncommitted edits to them), on RHEL or on Debian.
#
#   bash contrib/rpm/build.sh RELEASE OUTDIR        RELEASE: 7, 8, 9 or 10
#
# Prints the path of the binary RPM(s) on stdout. The vendored wheels the spec lists are fetched
# from PyPI with pip into $RTKDUMP_RPM_SOURCES (default ~/.cache/rtkdump-rpm-sources) once.
set -euo pipefail

release=${1:?usage: build.sh RELEASE OUTDIR}
outdir=${2:?usage: build.sh RELEASE OUTDIR}
top=$(git rev-parse --show-toplevel)
spec=$top/contrib/rtkdump.spec
cache=${RTKDUMP_RPM_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/rtkdump-rpm-sources}
python=${PYTHON:-python3}

mkdir -p "$outdir" "$cache"
outdir=$(cd "$outdir" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{SOURCES,BUILD,RPMS,SRPMS,SPECS,BUILDROOT}

version=$(rpmspec -q --srpm --qf '%{version}' --define "rhel $release" "$spec" 2>/dev/null)
# A stash object holds the tracked files as they are now; HEAD when there is nothing to stash.
ref=$(cd "$top" && git stash create)
(cd "$top" && git archive --format=tar.gz --prefix="rtkdump-$version/" \
    -o "$work/SOURCES/rtkdump-$version.tar.gz" "${ref:-HEAD}")

# The wheels this release's build vendors: the spec's Source10+ lines, as rpmspec resolves them.
mapfile -t wheels < <(rpmspec -P --define "rhel $release" "$spec" 2>/dev/null |
    sed -n 's/^Source1[0-9]*:[[:space:]]*//p')
for whl in "${wheels[@]}"; do
    if [ ! -f "$cache/$whl" ]; then
        # name-version from the wheel file name (PEP 427: name-version-...).
        name=${whl%%-*}
        rest=${whl#*-}
        ver=${rest%%-*}
        extra=()
        case $whl in
            # A platform wheel of which the spec takes only the pure-Python files.
            *manylinux*) extra=(--platform manylinux2014_x86_64 --python-version 3.8 --implementation cp) ;;
        esac
        "$python" -m pip download -q --no-deps --only-binary :all: "${extra[@]}" \
            -d "$cache" "$name==$ver" >&2
    fi
    cp "$cache/$whl" "$work/SOURCES/"
done

# --nodeps: on Debian the rpmdb is empty, so BuildRequires (unzip, systemd-rpm-macros) cannot
# be checked; the build itself only needs sh, cp, install and unzip.
defines=()
if ! readlink -f /bin/sh | grep -q bash; then
    # Debian's brp-compress uses `read -d`, a bashism, under #!/bin/sh (dash there): run it with
    # bash, so that the man page is compressed as on RHEL.
    defines+=(--define '__brp_compress /bin/bash %{_rpmconfigdir}/brp-compress %{?_prefix}')
fi
if [ "$release" = 7 ] && [ ! -x /opt/rh/rh-python38/root/usr/bin/python3 ]; then
    # No SCL here: the RHEL 7 bytecode is compiled by a local Python 3.8 (the SCL's version).
    py38=
    for candidate in ${RTKDUMP_PY38:-} "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.8*/bin/python3.8 \
            "$(command -v python3.8 || true)"; do
        if [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 8)' 2>/dev/null
        then py38=$candidate; break; fi
    done
    [ -n "$py38" ] || { echo "build.sh: RHEL 7 needs a Python 3.8 to compile the bytecode (set RTKDUMP_PY38)" >&2; exit 1; }
    defines+=(--define "rtkdump_bytecompile_python $py38")
fi
rpmbuild -bb --nodeps --quiet "${defines[@]}" \
    --define "_topdir $work" \
    --define "rhel $release" \
    --define "dist .el$release" \
    "$spec" >&2
find "$work/RPMS" -name '*.rpm' -exec cp {} "$outdir/" \;
find "$outdir" -maxdepth 1 -name "rtkdump-*$version-*.el$release.noarch.rpm" | sort
