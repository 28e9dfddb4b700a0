"""Map the fixed top-level directories onto the single import root ``pawpay.*``.

``platform/`` deliberately has no ``__init__.py`` (it would shadow the standard library's
``platform`` module whenever the repository root is on ``sys.path``), so its sub-packages are
found as namespace packages. Everything else about the distribution lives in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {
    "platform": "pawpay.platform",
    "tenants": "pawpay.tenants",
    "plugins": "pawpay.plugins",
    "admin_ui": "pawpay.admin_ui",
}

packages: list[str] = []
package_dir: dict[str, str] = {}
for directory, package in ROOTS.items():
    package_dir[package] = directory
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_namespace_packages(where=directory)
                 if "__pycache__" not in sub]

setup(packages=packages, package_dir=package_dir)
