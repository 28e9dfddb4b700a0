"""The double-entry ledger (bottom of ``platform``): every domain posts money through
``pawpay.platform.ledger.services``; see docs/ledger.md."""
