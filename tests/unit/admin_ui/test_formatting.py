"""Pure helpers of the shell: money, times, redirects, navigation, diffs, pagination, locales."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import DictLoader, Environment

from pawpay.admin_ui.pages.audit import diff
from pawpay.admin_ui.shell import Pager, parse_window, safe_next, visible_nav
from pawpay.admin_ui.templating import configure_environment, fen, to_local
from pawpay.admin_ui.translations import normalise_locale
from pawpay.platform.hooks.types import NavItem

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("amount", "shown"), [
    (0, "¥0.00"), (5, "¥0.05"), (100, "¥1.00"), (123400, "¥1,234.00"), (123456789, "¥1,234,567.89"),
    (-150, "-¥1.50"), (None, ""),
])
def test_fen(amount, shown) -> None:
    assert fen(amount) == shown


@pytest.mark.parametrize("bad", [1.5, "100", True])
def test_fen_refuses_anything_but_integer_fen(bad) -> None:
    with pytest.raises(TypeError):
        fen(bad)


def test_times_are_shown_in_the_store_zone() -> None:
    utc = datetime(2026, 1, 31, 17, 30, tzinfo=UTC)
    assert to_local(utc, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") == "2026-02-01 01:30"
    with pytest.raises(ValueError, match="naive"):
        to_local(datetime(2026, 1, 1), ZoneInfo("Asia/Shanghai"))  # noqa: DTZ001 - the case under test


@pytest.mark.parametrize(("value", "expected"), [
    ("/admin/audit?x=1", "/admin/audit?x=1"), ("/ops", "/ops"),
    (None, "/d"), ("", "/d"), ("admin", "/d"), ("https://evil.example/", "/d"), ("//evil.example", "/d"),
    ("/\\evil.example", "/d"), ("/admin\r\nSet-Cookie: x", "/d"), ("javascript:alert(1)", "/d"),
])
def test_safe_next(value, expected) -> None:
    assert safe_next(value, "/d") == expected


def test_visible_nav_filters_by_role_and_marks_the_current_page() -> None:
    items = [NavItem("Overview", "/admin", order=0), NavItem("Audit log", "/admin/audit", frozenset({"manager"})),
             NavItem("Contracts", "/admin/contracts", frozenset({"front_desk", "manager"}))]
    entries = visible_nav(items, frozenset({"front_desk"}), "/admin/contracts/42", "/admin")
    assert [(e.path, e.active) for e in entries] == [("/admin", False), ("/admin/contracts", True)]
    home = visible_nav(items, frozenset({"manager"}), "/admin", "/admin")
    assert [e.path for e in home if e.active] == ["/admin"]


def test_diff_marks_changed_keys() -> None:
    changes = diff({"roles": ["manager"], "email": "a@x.test"}, {"roles": ["finance"], "email": "a@x.test",
                                                                 "is_active": False})
    assert [(c.key, c.changed) for c in changes] == [("roles", True), ("email", False), ("is_active", True)]
    assert diff(None, None) == []
    created = diff(None, {"name": "x"})
    assert created[0].before is None
    assert created[0].after == "x"


def test_pager_links_keep_filters() -> None:
    pager = Pager(total=120, limit=50, offset=50, path="/admin/audit", params={"action": "account.", "actor": ""})
    assert pager.first == 51
    assert pager.last == 100
    assert pager.prev_url == "/admin/audit?action=account.&limit=50&offset=0"
    assert pager.next_url == "/admin/audit?action=account.&limit=50&offset=100"
    assert Pager(total=0, limit=50, offset=0, path="/x").first == 0
    assert Pager(total=10, limit=50, offset=0, path="/x").next_url is None


def test_parse_window_reports_bad_values() -> None:
    errors: dict[str, str] = {}
    assert parse_window({"limit": "10", "offset": "20"}, errors) == (10, 20)
    assert errors == {}
    assert parse_window({"limit": "0", "offset": "x"}, errors) == (50, 0)
    assert set(errors) == {"limit", "offset"}


@pytest.mark.parametrize(("raw", "locale"), [
    ("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"), ("en", "en"), ("en-US", "en"), ("fr", None),
    ("", None), (None, None),
])
def test_normalise_locale(raw, locale) -> None:
    assert normalise_locale(raw) == locale


def test_environment_translates_per_render() -> None:
    env = Environment(loader=DictLoader({
        "t.html": '{{ _("Audit log") }}|{{ "manager"|role_label }}|{{ ngettext("%(num)s field", "%(num)s fields", 3) }}'
                  '|{{ _("Welcome, %(name)s", name="<b>") }}|{{ 123400|fen }}',
    }), autoescape=True)
    configure_environment(env, [])
    configure_environment(env, [])  # idempotent
    template = env.get_template("t.html")
    assert template.render(locale="zh_CN") == "审计日志|店长|3 个字段|欢迎，&lt;b&gt;|¥1,234.00"
    assert template.render(locale="en") == "Audit log|Store manager|3 fields|Welcome, &lt;b&gt;|¥1,234.00"
