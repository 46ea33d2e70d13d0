from email import message_from_string
from email.utils import parseaddr
from smtplib import SMTPDataError
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import InvoicePayMailCommon

# A Postfix delivery status notification (RFC 3464), shaped as the ones of Odoo's mail
# gateway tests: the returned email's headers tell Odoo which message bounced.
BOUNCE_EMAIL = """\
Return-Path: <>
From: MAILER-DAEMON@mx.harborlight.example.com (Mail Delivery System)
To: {bounce_to}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="B0UNCE.1700000000/mx.harborlight.example.com"
Message-Id: <20261128101010.DSN1@mx.harborlight.example.com>
Date: Sat, 28 Nov 2026 10:10:10 +0100 (CET)

This is a MIME-encapsulated message.

--B0UNCE.1700000000/mx.harborlight.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.harborlight.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{recipient}>: host mx.harborlight.example.com said: 550 5.1.1
    <{recipient}>: Recipient address rejected: User unknown

--B0UNCE.1700000000/mx.harborlight.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.harborlight.example.com
Arrival-Date: Sat, 28 Nov 2026 10:10:09 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: {diagnostic}

--B0UNCE.1700000000/mx.harborlight.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{returned_headers}
--B0UNCE.1700000000/mx.harborlight.example.com--
"""


@tagged("post_install", "-at_install")
class TestPayLinkDelivery(InvoicePayMailCommon):
    """The link's history says "Sent" once the email left, "Send Failed" when it did not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._customer_invoice(250.0)
        cls.customer._invoice_pay_ensure_url()

    def _send_events(self, partner=None):
        return self._events(partner).filtered(lambda activity: activity.event in ("sent", "send_failed"))

    def _send_pay_link_to_many(self, partners):
        """Send the pay link email to ``partners`` at once, as the contacts list's *Send email*
        does: the composer's mass mode, which creates the emails without posting messages."""
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_link")
        composer = self.env["mail.compose.message"].with_user(self.invoicing_user).with_context(
            active_model="res.partner", active_ids=partners.ids,
            default_model="res.partner", default_res_ids=partners.ids, default_composition_mode="mass_mail",
        ).create({"template_id": template.id})
        self.assertEqual(composer.composition_mode, "mass_mail")
        composer.action_send_mail()

    def _assert_warning(self, shown, note=None):
        partner = self.contact.with_user(self.invoicing_user)
        self.assertEqual(partner.invoice_pay_send_failed, shown)
        if shown:
            failure = self._events(event="send_failed")[:1]
            self.assertEqual(partner.invoice_pay_send_failed_date, failure.date)
            self.assertIn(note, partner.invoice_pay_send_failed_note)
        else:
            self.assertFalse(partner.invoice_pay_send_failed_note)

    def test_sent_written_when_the_queue_sends_the_email(self):
        message = self._send_pay_link()
        mails = self._pay_link_mails(message)
        self.assertEqual(mails.mapped("state"), ["outgoing"], "posting only queues the email")
        self.assertFalse(self._send_events(), "no 'Sent' before the email left")

        self._process_mail_queue()
        sent = self._events(event="sent")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent.user_id, self.invoicing_user, "the history names who sent it")
        self.assertEqual(self._send_events(), sent)
        self.assertEqual(
            [email["email_to"] for email in self._mails], [[self.customer.email_formatted]],
            "the email went out to the customer",
        )
        self.assertFalse(mails.exists(), "Odoo deleted the sent email (auto delete) after the history was written")
        self._assert_warning(False)

        # The queue running again sends nothing and writes nothing.
        self._process_mail_queue()
        self.assertEqual(self._send_events(), sent)

    def test_send_action_says_the_email_is_queued(self):
        action = self.customer.with_user(self.invoicing_user).action_invoice_pay_send()
        composer = self.env["mail.compose.message"].with_user(self.invoicing_user).with_context(
            **action["context"]).create({})
        result = composer.action_send_mail()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("on its way", str(result["params"]["message"]))
        self.assertEqual(result["params"]["next"]["tag"], "action_send_mail_callback")

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_smtp_failure_writes_send_failed_and_warns(self):
        message = self._send_pay_link()
        self._process_mail_queue(connection_error=ConnectionRefusedError(111, "Connection refused"))
        mail = self._pay_link_mails(message)
        self.assertEqual(mail.state, "exception")
        self.assertFalse(self._events(event="sent"), "an email that did not leave is not 'Sent'")
        failed = self._events(event="send_failed")
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed.user_id, self.invoicing_user)
        self.assertIn("Connection refused", failed.note)
        self._assert_warning(True, "Connection refused")

        # The queue does not pick failed emails again; a retry that fails again adds nothing.
        self._process_mail_queue()
        mail.action_retry()
        self._process_mail_queue(connection_error=ConnectionRefusedError(111, "Connection refused"))
        self.assertEqual(self._send_events(), failed)

        # A retry that goes through is "Sent" after the failure, and the warning goes away.
        mail.action_retry()
        self._process_mail_queue()
        self.assertEqual(self._send_events().mapped("event"), ["sent", "send_failed"])
        self._assert_warning(False)

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_server_refusal_writes_send_failed(self):
        """The server refuses the email itself (not the connection): Odoo's 'unknown' failure."""
        self._send_pay_link()
        self._process_mail_queue(send_error=SMTPDataError(452, b"4.3.1 Insufficient system storage"))
        failed = self._events(event="send_failed")
        self.assertEqual(len(failed), 1)
        self.assertIn("Insufficient system storage", failed.note)
        self.assertFalse(self._events(event="sent"))

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_bounce_after_sent_writes_send_failed_and_warns(self):
        message = self._send_pay_link()
        self._process_mail_queue()
        sent = self._events(event="sent")
        self.assertEqual(len(sent), 1)

        bounce = self._bounce_of_last_email()
        self.env["mail.thread"].message_process(False, bounce)
        failed = self._events(event="send_failed")
        self.assertEqual(len(failed), 1)
        self.assertEqual(self._send_events().mapped("event"), ["send_failed", "sent"])
        self.assertIn(self.customer.email, failed.note)
        self.assertIn("User unknown", failed.note)
        self.assertEqual(
            message.notification_ids.mapped("notification_status"), ["bounce"], "Odoo's own bounce handling ran",
        )
        self.assertEqual(self.customer.message_bounce, 1)
        self._assert_warning(True, "User unknown")

        # The same bounce delivered twice is one failure.
        self.env["mail.thread"].message_process(False, bounce)
        self.assertEqual(self._events(event="send_failed"), failed)

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_mass_mode_writes_sent_for_each_customer(self):
        customers = self.customer | self.other_customer
        self._send_pay_link_to_many(customers)
        self.assertFalse(self._send_events() | self._send_events(self.other_customer), "queued, not sent")

        self._process_mail_queue()
        sent_emails = list(self.emails)
        self.assertEqual(
            sorted(email["smtp_to_list"] for email in sent_emails), sorted([[email] for email in customers.mapped("email")]),
        )
        for customer in customers:
            sent = self._send_events(customer)
            self.assertEqual(sent.mapped("event"), ["sent"], f"one 'Sent' for {customer.name}")
            self.assertEqual(sent.user_id, self.invoicing_user)
        self._process_mail_queue()
        self.assertEqual(len(self._send_events() | self._send_events(self.other_customer)), 2)

        # A bounce of one customer's email is a failure of that email only.
        other_email = next(email for email in sent_emails if email["smtp_to_list"] == [self.other_customer.email])
        self.env["mail.thread"].message_process(False, self._bounce_of_last_email(email=other_email))
        self.assertEqual(self._send_events(self.other_customer).mapped("event"), ["send_failed", "sent"])
        self.assertIn("User unknown", self._send_events(self.other_customer)[0].note)
        self.assertEqual(self._send_events().mapped("event"), ["sent"])

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_mass_mode_smtp_failure_writes_send_failed_for_each_customer(self):
        customers = self.customer | self.other_customer
        self._send_pay_link_to_many(customers)
        self._process_mail_queue(connection_error=ConnectionRefusedError(111, "Connection refused"))
        for customer in customers:
            failed = self._send_events(customer)
            self.assertEqual(failed.mapped("event"), ["send_failed"], f"one 'Send Failed' for {customer.name}")
            self.assertIn("Connection refused", failed.note)
            self.assertTrue(customer.with_user(self.invoicing_user).invoice_pay_send_failed)

    def test_mass_mode_on_a_domain_only_to_customers_the_user_sees(self):
        """Sending to all the customers a search finds: those of a company the user is not in are not found."""
        elsewhere = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        hidden_customer = self.env["res.partner"].create({
            "name": "Hidden Harbor", "is_company": True, "email": "ap@hidden.example.com", "company_id": elsewhere.id,
        })
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_link")
        composer = self.env["mail.compose.message"].with_user(self.invoicing_user).with_context(
            default_model="res.partner", default_composition_mode="mass_mail",
        ).create({
            "template_id": template.id,
            "res_domain": repr([("id", "in", (self.customer | hidden_customer).ids)]),
        })
        with self.assertRaises(AccessError):
            composer.action_send_mail()
        self.assertFalse(self.env["mail.mail"].sudo().search([("res_id", "=", hidden_customer.id)]))

    def _assert_history_error_leaves_the_email_sent(self, failing_record_outcome):
        """The history failing to be written once the email left: the email stays sent, once."""
        message = self._send_pay_link()
        mail = self._pay_link_mails(message)
        mail.auto_delete = False  # to see its state after the queue ran
        PayLinkMail = self.registry["invoice.pay.link.mail"]
        with patch.object(PayLinkMail, "_record_outcome", failing_record_outcome), \
                self.assertLogs("odoo.addons.invoice_public_pay.models.mail_mail", "ERROR") as logs:
            self._process_mail_queue()
        self.assertEqual(len(self._mails), 1, "the email left")
        self.assertIn(str(mail.id), logs.output[0])
        self.assertEqual(mail.state, "sent", "Odoo did not take it for a failed email")
        self.assertFalse(mail.failure_reason)
        self.assertEqual(message.notification_ids.mapped("notification_status"), ["sent"])
        self.assertFalse(self._send_events(), "the history could not be written")

        self._process_mail_queue()
        self.assertFalse(self._mails, "it is not sent a second time")
        return mail

    def test_history_error_neither_fails_nor_resends_the_email(self):
        def failing_record_outcome(email, delivered, note=None):
            raise ValueError("history unavailable")

        self._assert_history_error_leaves_the_email_sent(failing_record_outcome)

    @mute_logger("odoo.sql_db")
    def test_history_database_error_neither_fails_nor_resends_the_email(self):
        """A database error (a lock conflict with a bounce written at the same time) aborts the
        transaction: Odoo would roll the sending back and send the email again."""
        def failing_record_outcome(email, delivered, note=None):
            email.env.cr.execute("SELECT 1 / 0")

        mail = self._assert_history_error_leaves_the_email_sent(failing_record_outcome)
        self.env.cr.execute("SELECT 1")  # the transaction is still usable
        self.assertEqual(mail.state, "sent")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_bounce_reason_is_short_and_said_to_be_the_mail_servers(self):
        """The recipient's mail server writes what it likes in a bounce: not a message from us."""
        self._send_pay_link()
        self._process_mail_queue()
        diagnostic = (
            "smtp; 550 Mailbox closed. Our bank details changed: please pay your invoices to IBAN XX00 EVIL 0000"
            " 0000 0000 0000 00, BIC EVILXX00, not with the link of this email. Thank you for your understanding,"
            "\n    the accounts team. PAY NOW"
        )
        self.env["mail.thread"].message_process(False, self._bounce_of_last_email(diagnostic=diagnostic))
        note = self._events(event="send_failed").note
        prefix = f"Bounced by {self.customer.email}; the recipient's mail server said: “"
        self.assertTrue(note.startswith(prefix + "550 Mailbox closed. Our bank details changed"), note)
        self.assertTrue(note.endswith("…”"), note)
        self.assertLessEqual(len(note) - len(prefix) - 1, 160, "the server's words are cut short")
        self.assertNotIn("PAY NOW", note)
        self.assertNotIn("\n", note)
        self._assert_warning(True, "the recipient's mail server said: “550 Mailbox closed.")

    def test_other_emails_to_the_customer_write_nothing(self):
        self.customer.message_post(
            body="Your order shipped", partner_ids=self.customer.ids, message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self._process_mail_queue()
        self.assertEqual(len(self._mails), 1)
        self.assertFalse(self._send_events())

    def test_warning_on_the_form(self):
        arch = etree.fromstring(self.env["res.partner"].with_user(self.invoicing_user).get_view(view_type="form")["arch"])
        alerts = arch.xpath("//group[@name='invoice_pay_link']//div[contains(concat(' ', @class, ' '), ' alert-warning ')]")
        self.assertEqual(len(alerts), 1)
        alert = alerts[0]
        self.assertEqual(alert.get("role"), "alert")
        self.assertEqual(alert.get("invisible"), "not invoice_pay_send_failed")
        self.assertEqual(
            alert.xpath(".//field/@name"), ["invoice_pay_send_failed_date", "invoice_pay_send_failed_note"],
        )

    def test_warning_computed_for_many_customers_at_once(self):
        self._send_pay_link()
        self._process_mail_queue(connection_error=ConnectionRefusedError(111, "Connection refused"))
        partners = (self.customer | self.contact | self.other_customer).with_user(self.invoicing_user)
        partners.mapped("invoice_pay_send_failed")  # the user's rights and the partners read once
        partners.invalidate_recordset(["invoice_pay_send_failed"])
        with self.assertQueryCount(1):
            values = [partner.invoice_pay_send_failed for partner in partners]
        self.assertEqual(values, [True, True, False])

    def _bounce_of_last_email(self, email=None, diagnostic=None):
        """The bounce a mail server sends back for the last email that left, to its Return-Path.

        :param email: the sent email (one of ``self.emails``), the last one when not given
        :param diagnostic: the ``Diagnostic-Code`` the recipient's server writes (folded lines allowed)
        """
        sent = message_from_string((email or self.emails[-1])["message"])
        recipient = parseaddr(sent["To"])[1]
        returned_headers = "".join(
            f"{name}: {sent[name]}\n" for name in ("Return-Path", "Message-Id", "From", "To", "Subject", "Date")
        )
        diagnostic = diagnostic or (
            f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User\n    unknown"
        )
        return BOUNCE_EMAIL.format(
            bounce_to=sent["Return-Path"], recipient=recipient, returned_headers=returned_headers,
            diagnostic=diagnostic,
        )
