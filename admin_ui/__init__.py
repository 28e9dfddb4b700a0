"""pawpay.admin_ui: server-rendered pages for store staff (/admin) and operators (/ops)."""
