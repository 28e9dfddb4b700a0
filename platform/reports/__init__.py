"""Reports for operators: platform fee income, releases, deposits and advances by store and period."""
