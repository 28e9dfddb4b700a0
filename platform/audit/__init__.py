"""The audit log: append-only record of every change to configuration, users, money and contracts."""
