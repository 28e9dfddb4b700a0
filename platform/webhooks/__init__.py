"""Inbound webhooks from providers: persisted raw first, verified by the store's provider,
de-duplicated by the vendor's event id, processed asynchronously, answered as the vendor expects."""
