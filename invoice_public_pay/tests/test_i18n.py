import io
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
