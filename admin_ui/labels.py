"""Messages that live in Python data rather than in templates, marked for ``pybabel extract``.

``N_`` returns its argument unchanged; it only tells the extractor (``-k N_``) that the string is
a msgid. Role labels come from :mod:`pawpay.platform.identity.roles` and error details from the
platform's services: they are repeated here so that the catalogs translate them (a unit test
fails if a role label has no zh-CN translation).
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


ROLE_LABELS = (
    N_("Store manager"), N_("Front desk / sales"), N_("After-sales"), N_("Finance"),
    N_("Reviewer"), N_("Platform finance"), N_("Administrator"),
)

# Error details raised by platform services, shown in forms.
SERVICE_MESSAGES = (
    N_("enter a valid e-mail address"),
    N_("choose at least one role"),
    N_("an account with this e-mail exists"),
    N_("password must be at least 10 characters"),
    N_("password must mix letters with digits or symbols"),
    N_("you cannot deactivate your own account"),
    N_("name must not be empty"),
    N_("name the key (e.g. 'ERP sync')"),
    N_("slug must be 3-63 lowercase letters, digits or hyphens"),
    N_("API key not found (or already revoked)"),
    N_("account not found"),
    N_("store not found"),
    N_("sign in first"),
    N_("this is for store staff"),
    N_("this is for platform operators"),
    N_("your role does not allow this"),
    N_("pages are for signed-in staff; API keys use /api/v1"),
    N_("Not Found"),  # litestar's own detail for an unknown path
)
