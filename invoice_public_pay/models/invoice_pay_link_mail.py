from odoo import api, fields, models

from ..utils import bounce_diagnostic, shorten_line

DELIVERY_STATES = [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")]
# The recipient's mail server writes what it likes in a bounce ("pay to this other IBAN"):
# the history quotes a line of it, not a message.
BOUNCE_REASON_MAX_LENGTH = 160


class InvoicePayLinkMail(models.Model):
    """A pay link email, from the moment it is queued, and what the link's history said of it.

    Posting the email only queues it: the history says ``sent`` once Odoo's mail queue
    has handed it to the mail server, ``send_failed`` when the server could not be
    reached, refused it, or the recipient's server bounced it later. This record tells
    which chatter message is a pay link email and keeps each outcome to one event,
    however often the queue or a bounce comes back to it.
    """

    _name = "invoice.pay.link.mail"
    _description = "Invoice Pay Link Email"
    _order = "id desc"
    _rec_name = "mail_message_id"

    mail_message_id = fields.Many2one(
        "mail.message", string="Message", required=True, index=True, ondelete="cascade", readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade", readonly=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Sent By", readonly=True)
    delivery_state = fields.Selection(DELIVERY_STATES, required=True, default="queued", readonly=True)

    _message_unique = models.Constraint("UNIQUE(mail_message_id)", "A message is one pay link email.")

    @api.model
    def _track(self, partner, message):
        """Remember that ``message``, just posted on ``partner``, is its pay link email."""
        return self.sudo().create(self._tracking_values(partner, message))

    @api.model
    def _track_mass_mails(self, partners, mails):
        """Remember that ``mails`` (mail.mail), which the composer's mass mode has just
        created for ``partners`` (one each, ``res_id``), are their pay link emails.

        That mode posts no message: each mail is an email of its own, with its message.
        """
        return self.sudo().create([
            self._tracking_values(partners.browse(mail.res_id), mail.mail_message_id) for mail in mails
        ])

    @api.model
    def _tracking_values(self, partner, message):
        return {
            "mail_message_id": message.id,
            "partner_id": partner.commercial_partner_id.id,
            "company_id": self.env.company.id,
            "user_id": self.env.user.id,
        }

    def _recipients_among(self, partners):
        """Those of ``partners`` (recipients of one of its mails) this email is for.

        A posted email is for the message's recipients: copies for followers alone do not
        count. An email of the composer's mass mode has no message recipients (Odoo keeps
        them on its mail): all the recipients of its mail count.
        """
        self.ensure_one()
        message = self.mail_message_id
        return partners if message.message_type == "email_outgoing" else partners & message.partner_ids

    @api.model
    def _record_sending(self, mails, success_partner_ids, failure_type, failure_reason):
        """Write what became of ``mails`` (mail.mail) that are pay link emails once the queue sent them.

        Each mail counts for the message's recipients it carries (copies for followers
        alone do not count): it left when the server accepted it for one of them, else it
        failed. Once one copy left, another one failing (the message went out in several
        mails) does not make the email a failed one; a bounce does.

        :param success_partner_ids: ids of the recipients the mail server accepted
        :param failure_type: Odoo's failure type (``mail_smtp``, ...), none when it went well
        :param failure_reason: the error, when Odoo gave it (else it is on the mail)
        """
        emails = self.sudo().search([("mail_message_id", "in", mails.mail_message_id.ids)])
        for email in emails:
            for mail in mails.filtered(lambda m, message=email.mail_message_id: m.mail_message_id == message):
                mail_recipients = email._recipients_among(mail.recipient_ids)
                if not mail_recipients:
                    continue
                if mail.state == "sent" and (not failure_type or set(mail_recipients.ids) & set(success_partner_ids)):
                    email._record_outcome(delivered=True)
                elif email.delivery_state != "sent":
                    email._record_outcome(delivered=False, note=mail._invoice_pay_failure_note(
                        failure_type, failure_reason))

    @api.model
    def _record_bounce(self, message, email_message):
        """Write ``send_failed`` when the bounce ``email_message`` returns a recipient's copy of ``message``."""
        email = self.sudo().search([("mail_message_id", "=", message.id)])
        if not email:
            return
        bounced = message.sudo().notification_ids.filtered(
            lambda notification: notification.notification_status == "bounce"
            and email._recipients_among(notification.res_partner_id)
        )
        if not bounced:
            return
        address = ", ".join(bounced.res_partner_id.mapped("email"))
        reason = shorten_line(
            bounce_diagnostic(email_message) or bounced[0].failure_reason, BOUNCE_REASON_MAX_LENGTH,
        )
        if reason:
            note = self.env._(
                "Bounced by %(address)s; the recipient's mail server said: “%(reason)s”",
                address=address, reason=reason,
            )
        else:
            note = self.env._("Bounced by %(address)s", address=address)
        email._record_outcome(delivered=False, note=" ".join(note.split()))

    def _record_outcome(self, delivered, note=None):
        """Move the email to ``sent`` or ``failed`` and write the event, once per change.

        A failure after ``sent`` (a bounce) and a success after ``failed`` (a retry that
        went through) are new events; the same outcome again writes nothing.
        """
        self.ensure_one()
        state = "sent" if delivered else "failed"
        if self.delivery_state == state:
            return
        values = {"user_id": self.user_id.id}
        if note:
            values["note"] = note
        self.env["invoice.pay.link.activity"]._log_events(
            self.partner_id, "sent" if delivered else "send_failed", company=self.company_id, **values,
        )
        self.delivery_state = state
