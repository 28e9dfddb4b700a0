"""The collections scenario reads the queues through the real admin pages: the admin UI tests' browser."""

from tests.integration.admin_ui.conftest import new_browser

__all__ = ["new_browser"]
