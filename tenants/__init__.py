"""pawpay.tenants: what runs inside one store (plans, contracts, collections, fulfilment).

Each domain is a package with the standard role modules (see docs/components.md) and registers
through the ``pawpay`` entry-point group like any third-party component.
"""
