import logging
from unittest.mock import patch

from odoo.service.model import retrying
from odoo.tests import HttpCase, tagged

from odoo.addons.payment.models.payment_transaction import PaymentTransaction as BasePaymentTransaction

from ..models import invoice_pay_link as invoice_pay_link_module
from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestConcurrentStarts(InvoicePayPaymentCommon, HttpCase):
    """Two visitors at the same instant: the loser's request is retried by Odoo, quietly."""

    def test_link_created_concurrently_is_retried_by_odoo(self):
        """The loser of the pay link's unique index is retried with a fresh snapshot.

        Simulated with a token already taken (the same unique-index failure as two
        transactions creating the same customer's link), inside Odoo's own retry loop.
        """
        partner = self.env["res.partner"].create({"name": "Lighthouse Supplies", "is_company": True})
        taken_token = self._link().token
        attempts = []

        def generate_token():
            attempts.append(None)
            return taken_token if len(attempts) == 1 else real_generate_token()

        real_generate_token = invoice_pay_link_module.generate_token
        self.env.flush_all()
        with (
            patch.object(invoice_pay_link_module, "generate_token", generate_token),
            self.assertNoLogs(level=logging.ERROR),
            self.registry.cursor() as cr,
        ):
            env = self.env(cr=cr)
            link_id = retrying(
                lambda: env["invoice.pay.link"]._ensure_for_partners(env["res.partner"].browse(partner.id)).id,
                env,
            )
        self.env.invalidate_all()
        self.assertEqual(len(attempts), 2, "retried once")
        link = self.env["invoice.pay.link"].sudo().browse(link_id)
        self.assertEqual(link.partner_id, partner)
        self.assertNotEqual(link.token, taken_token)

    def test_same_reference_at_the_same_instant_is_retried(self):
        """Both visitors compute the invoice's reference; the second insert hits the unique index.

        The second visitor's reference is computed as if the first transaction was not
        committed yet (it is what the route computes when both start together).
        """
        first = self._start_payment([self._alloc(self.invoice_old, 400)])
        original = BasePaymentTransaction._compute_reference
        computed = []

        def compute_reference(model, provider_code, prefix=None, separator="-", **kwargs):
            computed.append(prefix)
            if len(computed) == 1:
                return first.reference
            return original(model, provider_code, prefix=prefix, separator=separator, **kwargs)

        with (
            patch.object(BasePaymentTransaction, "_compute_reference", compute_reference),
            self.assertNoLogs(level=logging.ERROR),
            self.assertLogs("odoo.service.model", level=logging.INFO) as retry_logs,
        ):
            second = self._start_payment([self._alloc(self.invoice_old, 400)])
        self.assertEqual(len(computed), 2, "the second start was retried once")
        self.assertTrue(any("tries left" in line for line in retry_logs.output))
        self.assertTrue(second)
        self.assertNotEqual(second.reference, first.reference)
        self.assertEqual(second.invoice_pay_allocation_ids.invoice_id, self.invoice_old)
        self.assertEqual(
            self.env["payment.transaction"].sudo().search_count([("invoice_pay_link_id", "=", self._link().id)]), 2,
        )
