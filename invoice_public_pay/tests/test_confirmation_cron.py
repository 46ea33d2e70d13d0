import logging
from unittest.mock import patch

import psycopg2

from odoo.tests import HttpCase, tagged

from odoo.addons.mail.models.mail_template import MailTemplate

from .common import InvoicePayPaymentCommon

CRON_XMLID = "invoice_public_pay.ir_cron_send_invoice_pay_confirmations"


@tagged("post_install", "-at_install")
class TestConfirmationCron(InvoicePayPaymentCommon, HttpCase):
    """The confirmation emails go one by one: a failing one stops neither the others nor repeats."""

    def _two_pending_confirmations(self):
        good = self._pay([self._alloc(self.invoice_old, 400)])
        bad = self._pay([self._alloc(self.invoice_mid, 50)])
        # The helper's cron run sent both: queue them again.
        self._confirmation_mails(good | bad).unlink()
        (good | bad).write({"invoice_pay_confirmation_pending": True})
        return good, bad

    def _confirmation_mails(self, transactions):
        return self.env["mail.mail"].sudo().search(
            [("model", "=", "payment.transaction"), ("res_id", "in", transactions.ids)]
        )

    def _failing_email_of(self, transaction, attempts):
        """Patch the template's sending so that ``transaction``'s email raises (the ORM stays real)."""
        send_mail = MailTemplate.send_mail

        def failing_send_mail(template, res_id, *args, **kwargs):
            if res_id == transaction.id:
                attempts.append(res_id)
                raise ValueError("The receipt could not be rendered")
            return send_mail(template, res_id, *args, **kwargs)

        return patch.object(MailTemplate, "send_mail", failing_send_mail)

    def _failure_notes(self, transaction):
        return self.customer.message_ids.filtered(
            lambda message: transaction.reference in (message.body or "")
            and "could not be sent" in (message.body or "")
        )

    def _assert_good_sent_and_bad_failed(self, good, bad):
        (good | bad).invalidate_recordset()
        self.assertEqual(len(self._confirmation_mails(good)), 1, "the good confirmation is sent")
        self.assertFalse(good.invoice_pay_confirmation_pending)
        self.assertFalse(good.invoice_pay_confirmation_failed)
        self.assertFalse(self._confirmation_mails(bad))
        self.assertFalse(bad.invoice_pay_confirmation_pending, "not retried forever")
        self.assertTrue(bad.invoice_pay_confirmation_failed)
        self.assertEqual(len(self._failure_notes(bad)), 1, "noted in the customer's chatter")

    def test_failing_email_neither_blocks_the_others_nor_repeats(self):
        good, bad = self._two_pending_confirmations()
        attempts = []
        with (
            self._failing_email_of(bad, attempts),
            self.assertNoLogs("odoo.addons.invoice_public_pay", level=logging.ERROR),
            self.assertLogs("odoo.addons.invoice_public_pay", level=logging.WARNING),
        ):
            self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
            self._assert_good_sent_and_bad_failed(good, bad)
            self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        self.assertEqual(len(attempts), 1, "the failed one is not tried again")
        self.assertEqual(len(self._failure_notes(bad)), 1)

    def test_scheduled_action_commits_each_confirmation(self):
        good, bad = self._two_pending_confirmations()
        attempts = []
        self.env.flush_all()
        with self._failing_email_of(bad, attempts), self.assertLogs(
            "odoo.addons.invoice_public_pay", level=logging.WARNING
        ):
            result = self.env.ref(CRON_XMLID).sudo().method_direct_trigger()
        self.env.invalidate_all()
        self.assertIs(result, True, "the scheduled action does not fail")
        self._assert_good_sent_and_bad_failed(good, bad)

    def test_stops_when_the_cron_time_is_spent(self):
        good, bad = self._two_pending_confirmations()
        cron = self.env.ref(CRON_XMLID).sudo()
        self.env.flush_all()
        with self.registry.cursor() as cr:
            cron_cr = cron.with_env(cron.env(cr=cr))
            cron_cr, progress = cron_cr._add_progress()
            cron_cr.env["payment.transaction"].with_context(
                cron_id=cron.id, ir_cron_progress_id=progress.id, cron_end_time=0,
            )._cron_send_invoice_pay_confirmations()
            self.assertEqual((progress.done, progress.remaining), (1, 1))
        self.env.invalidate_all()
        self.assertEqual(len(self._confirmation_mails(good | bad)), 1, "one sent, committed; the other waits")
        self.assertEqual(len((good | bad).filtered("invoice_pay_confirmation_pending")), 1)

    def test_a_database_conflict_leaves_the_email_pending(self):
        good, _bad = self._two_pending_confirmations()

        def conflicting_send_mail(template, res_id, *args, **kwargs):
            raise psycopg2.errors.SerializationFailure("could not serialize access due to concurrent update")

        with patch.object(MailTemplate, "send_mail", conflicting_send_mail):
            self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        self.assertTrue(good.invoice_pay_confirmation_pending, "tried again on the next run")
        self.assertFalse(good.invoice_pay_confirmation_failed)
        self.env["payment.transaction"]._cron_send_invoice_pay_confirmations()
        self.assertTrue(self._confirmation_mails(good))
