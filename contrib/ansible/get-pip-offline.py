"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads from a host CI
cannot reach. ansible-test runs it inside a new virtualenv that has no pip, with pip's install
options and the packages to install as arguments. This bootstraps pip from the standard
library's bundled wheel (ensurepip), then lets that pip install what was asked for from PyPI.

ansible-test runs it with a filtered environment (no PIP_CERT, SSL_CERT_FILE), so the CA bundle
of this machine is written into the virtualenv's own pip.conf, where this and every later pip
run in that virtualenv finds it.

contrib/ci-checks.sh copies it to ~/.ansible/test/cache/get_pip_<version>.py, the path where
ansible-test looks for a cached copy before downloading."""

import ensurepip
import os
import subprocess
import sys

BUNDLES = [os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt",
           "/etc/pki/tls/certs/ca-bundle.crt"]
bundle = next((b for b in BUNDLES if b and os.path.isfile(b)), None)
if bundle:
    with open(os.path.join(sys.prefix, "pip.conf"), "w") as fh:
        fh.write(f"[global]\ncert = {bundle}\n")

ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null in this process to isolate itself; the pip run
# below must read the virtualenv's pip.conf again.
os.environ.pop("PIP_CONFIG_FILE", None)
# --no-setuptools / --no-wheel are get-pip.py's own flags, not pip's.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if [a for a in args if not a.startswith("-")]:
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
