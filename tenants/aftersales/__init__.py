"""After-sales: tickets (damaged, near-expiry, missing, wrong item, pet health, complaint) with photos,
one-click reships, SLA timers and escalation."""
