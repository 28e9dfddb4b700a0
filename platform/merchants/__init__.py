"""Merchants: each store's profile, versioned terms, provisioning, test mode, going live and suspension."""
