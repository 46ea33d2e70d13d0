import io
import re
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

POT_PATH = Path(__file__).parent.parent / "i18n" / "invoice_public_pay.pot"


@tagged("post_install", "-at_install")
class TestTranslationTemplate(TransactionCase):

    def test_pot_file_is_current(self):
        """Every string users see is in the committed .pot (./scripts/export-pot.sh makes it)."""
        buffer = io.BytesIO()
        trans_export(None, ["invoice_public_pay"], buffer, "po", self.env)
        expected = {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}
        committed = {entry.msgid for entry in polib.pofile(POT_PATH.read_text(encoding="utf-8"))}
        self.assertFalse(expected - committed, "strings missing from the .pot: run ./scripts/export-pot.sh")
        self.assertFalse(committed - expected, "stale strings in the .pot: run ./scripts/export-pot.sh")
        self.assertIn("Copy Public Invoice Pay Link", committed)
        self.assertIn("Payment successful", committed)


# What must survive translation unchanged: printf and brace placeholders, and the QWeb
# directives of translated HTML (mail template bodies: ``t-out="object.name"``, ...).
PLACEHOLDER_PATTERN = re.compile(
    r"%%|%\([A-Za-z_]+\)[sdf]|%[sdf]"  # %s, %(name)s
    r"|\{\{.*?\}\}|\{[A-Za-z_][A-Za-z0-9_]*\}|\{\d+\}"  # {{ expression }}, {{0}}, {name}, {0}
    r"|\bt-[a-z-]+=\"[^\"]*\"",  # t-out="...", t-att-href="...", t-if="..."
)
TRANSLATED_LANGUAGES = ("es", "fr")
# OCA's po-pretty-format empties a translation equal to its source ("Total"): such an
# entry says so with this translator comment (./scripts/export-pot.sh adds it).
SAME_AS_SOURCE = "Same as the source."


def placeholders(text):
    return sorted(PLACEHOLDER_PATTERN.findall(text))


def translation_of(entry):
    """The text an entry shows: its translation, its source when it is the same, else None."""
    if entry.obsolete or "fuzzy" in entry.flags:
        return None
    if entry.msgstr.strip():
        return entry.msgstr
    return entry.msgid if SAME_AS_SOURCE in entry.tcomment else None


@tagged("post_install", "-at_install")
class TestTranslationFiles(TransactionCase):
    """es.po and fr.po translate every string of the .pot, with the same placeholders."""

    def test_every_string_is_translated_with_its_placeholders(self):
        template = polib.pofile(POT_PATH.read_text(encoding="utf-8"))
        msgids = {entry.msgid for entry in template if not entry.obsolete}
        for language in TRANSLATED_LANGUAGES:
            catalog = polib.pofile((POT_PATH.parent / f"{language}.po").read_text(encoding="utf-8"))
            entries = {entry.msgid: entry for entry in catalog if not entry.obsolete}
            with self.subTest(language=language):
                self.assertEqual(catalog.metadata.get("Language"), language)
                missing = sorted(msgid for msgid in msgids if not (msgid in entries and translation_of(entries[msgid])))
                self.assertFalse(missing, f"untranslated in {language}.po: run ./scripts/export-pot.sh, then translate")
                self.assertFalse(set(entries) - msgids, f"{language}.po has strings the .pot no longer has")
                for msgid in sorted(msgids):
                    self.assertEqual(
                        placeholders(translation_of(entries[msgid])), placeholders(msgid),
                        f"{language}.po: the placeholders of {msgid[:80]!r} differ",
                    )

    def test_placeholders_are_found(self):
        """The check above reads every kind of placeholder the addon's strings use."""
        self.assertEqual(placeholders("A %(amount)s fee for %s, 3 %%"), ["%%", "%(amount)s", "%s"])
        self.assertEqual(placeholders("{{ object.company_id.name }}: {{0}} {name}"),
                         ["{name}", "{{ object.company_id.name }}", "{{0}}"])
        self.assertEqual(placeholders('Dear <t t-out="object.name or \'\'">Azure</t>,'),
                         ['t-out="object.name or \'\'"'])
        self.assertNotEqual(placeholders('<t t-out="object.name"/>'), placeholders('<t t-out="object.email"/>'))
