"""The public plugin contract of pawpay: the only module a plugin imports.

``hookimpl`` marks implementations; :mod:`pawpay.platform.hooks.specs` documents every hook.
"""

from pawpay.platform.hooks.specs import PROJECT_NAME, hookimpl, hookspec
from pawpay.platform.hooks.types import DueItem, DueWork, NavItem, ProviderRegistry

HOOKS_API_VERSION = 1

__all__ = [
    "HOOKS_API_VERSION",
    "PROJECT_NAME",
    "DueItem",
    "DueWork",
    "NavItem",
    "ProviderRegistry",
    "hookimpl",
    "hookspec",
]
