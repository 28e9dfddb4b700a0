"""pawpay.plugins: built-in providers, each packaged as a plugin exactly like a third party's.

Plugins import only ``pawpay.platform.hooks`` (enforced by import-linter).
"""
