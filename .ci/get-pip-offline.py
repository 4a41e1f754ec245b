"""Stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test sanity gives each test a virtualenv and bootstraps pip in it
with get-pip.py downloaded from ci-files.testing.ansible.com, which this
network does not reach (ansible-test suggests saving the script under
~/.ansible/test/cache/ by hand). .ci/sanity saves this file there instead:
it installs Python's bundled pip with ensurepip, then lets that pip install
the versions ansible-test asks for from the package registry, as get-pip.py
would.
"""

import subprocess
import sys

# Options only get-pip.py understands.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# In its own process: ensurepip points PIP_CONFIG_FILE at /dev/null in the
# process that calls it, which would hide the registry settings from pip.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
