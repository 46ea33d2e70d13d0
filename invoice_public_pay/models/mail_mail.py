import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        # EXTENDS mail: the pay link history says whether a pay link email left, now
        # that the queue knows; before Odoo deletes sent emails (auto delete).
        self._invoice_pay_record_sending(success_pids, failure_type, failure_reason)
        return super()._postprocess_sent_message(
            success_pids, success_emails, failure_reason=failure_reason, failure_type=failure_type,
        )

    def _invoice_pay_record_sending(self, success_pids, failure_type, failure_reason):
        """Write the pay link history of these emails; an error there is logged, never raised.

        Odoo calls this inside its sending loop, after the mail server took the email: an
        error would make Odoo mark a sent email as failed, and a database error (a lock
        conflict with a bounce written at the same time) would roll the sending back and
        send the email again. The savepoint undoes our half-written history alone.
        """
        try:
            with self.env.cr.savepoint():
                self.env["invoice.pay.link.mail"]._record_sending(self, success_pids, failure_type, failure_reason)
        except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
            _logger.exception("Could not write the pay link history of mail.mail %s", self.ids)

    def _invoice_pay_failure_note(self, failure_type, failure_reason):
        """Why this email could not be sent, on one line: Odoo's failure type and the error."""
        self.ensure_one()
        label = dict(self._fields["failure_type"]._description_selection(self.env)).get(failure_type, failure_type)
        # Without a reason in hand (the server could not be reached), Odoo wrote it on the email.
        reason = " ".join((failure_reason or self.failure_reason or "").split())
        return f"{label}: {reason}" if reason else label
