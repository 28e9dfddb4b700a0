"""pawpay's own suite only (not part of the example distribution).

The main run (``testpaths = ["tests"]``) collects ``tests/example_plugin/tests`` like any test
directory, which works once the example is installed (``pip install -e tests/example_plugin``).
Without it, its modules cannot import ``pawpay_acme_credit``: leave them out rather than fail
collection; ``tests/integration/test_example_plugin.py`` then skips and says why.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

try:
    distribution("pawpay-acme-credit")
except PackageNotFoundError:
    collect_ignore_glob = ["tests/*", "pawpay_acme_credit/*"]
else:
    collect_ignore_glob = ["pawpay_acme_credit/*"]  # the package itself holds no tests
