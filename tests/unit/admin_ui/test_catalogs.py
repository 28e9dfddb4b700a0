"""The translation catalogs: complete, consistent with the sources, compiled in memory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pawpay.admin_ui.translations import LOCALES, Catalogs, catalog_directories
from pawpay.platform.identity.roles import OPERATOR_ROLES, TENANT_ROLES

pytestmark = pytest.mark.unit
# The source tree (not the installed package, which carries only the .po files): extraction runs here.
SOURCE = Path(__file__).resolve().parents[3] / "admin_ui"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def load(locale: str):
    with (SOURCE / "i18n" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_no_compiled_catalogs_are_committed() -> None:
    assert list(SOURCE.rglob("*.mo")) == []


def test_every_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    missing, broken = [], []
    for message in load("zh_CN"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(ids[0])
            continue
        wanted = set(PLACEHOLDER.findall(ids[0]))
        if any(set(PLACEHOLDER.findall(s)) != wanted for s in strings):
            broken.append(ids[0])
    assert missing == []
    assert broken == []


def test_role_labels_are_translated() -> None:
    zh = Catalogs([]).get("zh_CN")
    for label in [*TENANT_ROLES.values(), *OPERATOR_ROLES.values()]:
        assert zh.gettext(label) != label, label


def test_catalogs_match_the_sources(tmp_path: Path) -> None:
    """The committed .pot is what `pybabel extract` finds today, and each .po has every msgid."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(SOURCE / "i18n" / "babel.cfg"),
         "-k", "N_", "--no-location", "--sort-output", "-o", str(pot), str(SOURCE)],
        check=True, capture_output=True,
    )
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with (SOURCE / "i18n" / "messages.pot").open("rb") as fh:
        committed = {m.id for m in read_po(fh) if m.id}
    assert extracted == committed, "run the pybabel extract/update commands in docs/admin-ui.md"
    for locale in LOCALES:
        assert {m.id for m in load(locale) if m.id} >= extracted, locale


def test_component_catalogs_next_to_template_directories_are_merged(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    po = tmp_path / "i18n" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Contracts"\nmsgstr "合同"\n', encoding="utf-8")
    catalogs = Catalogs(catalog_directories([str(templates)]))
    zh = catalogs.get("zh_CN")
    assert zh.gettext("Contracts") == "合同"
    assert zh.gettext("Audit log") == "审计日志"  # the shell's own messages are still there
    assert zh.ngettext("%(num)s field", "%(num)s fields", 5) == "%(num)s 个字段"
    assert catalogs.get("xx") is catalogs.get("zh_CN")  # unknown locale: the default
