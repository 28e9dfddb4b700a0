"""pawpay's pytest plugin: database fixtures, tenants, factories (and later the provider contract kit)."""
