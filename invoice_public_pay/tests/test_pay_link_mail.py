import re

from odoo.tests import Form, tagged

from .common import InvoicePayMailCommon

DATA_URI_PATTERN = re.compile(r'src="(data:image/png;base64,[^"]+)"')


@tagged("post_install", "-at_install")
class TestPayLinkMail(InvoicePayMailCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._customer_invoice(250.0)
        cls._customer_invoice(75.5, partner=cls.contact)

    def _open_composer(self, user=None):
        partner = self.contact.with_user(user or self.invoicing_user)
        action = partner.action_invoice_pay_send()
        return Form(self.env["mail.compose.message"].with_user(user or self.invoicing_user).with_context(
            **action["context"]
        ))

    def test_template_renders_link_balance_and_decodable_qr(self):
        url = self.customer._invoice_pay_ensure_url()
        composer = self._open_composer().save()
        self.assertEqual(composer.model, "res.partner")
        self.assertEqual(composer._evaluate_res_ids(), [self.customer.id], "the email goes to the company")
        body = str(composer.body)
        self.assertIn(f'href="{url}"', body)
        self.assertIn("325.50", body, "the open balance of company and contact invoices")
        self.assertIn("(2 invoices)", body)
        qr_uris = DATA_URI_PATTERN.findall(body)
        self.assertEqual(len(qr_uris), 1)
        self.assertEqual(self._decode_qr_codes(qr_uris[0]), [url])
        self.assertFalse(self._events(), "opening the composer writes nothing")

    def test_one_invoice_is_one_invoice(self):
        self.customer._invoice_pay_ensure_url()
        self.env["account.move"].search([("partner_id", "=", self.contact.id)]).button_draft()
        body = str(self._open_composer().save().body)
        self.assertIn("(1 invoice)", body)
        self.assertNotIn("1 invoices", body)

    def test_sending_logs_sent_once_and_mails_the_link(self):
        url = self.customer._invoice_pay_ensure_url()
        composer = self._open_composer().save()
        # Odoo sends a posted email at once (after the commit; in tests, when sending is mocked).
        with self.mock_mail_gateway():
            composer.action_send_mail()
        sent = self._events(event="sent")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent.user_id, self.invoicing_user)
        self.assertEqual(len(self._events()), 1)
        message = self.customer.message_ids[0]
        self.assertIn(url, str(message.body))
        self.assertIn(self.customer, message.partner_ids)
        # The QR image became a hosted attachment that still decodes to the link.
        qr_attachment = message.attachment_ids.filtered(lambda a: a.mimetype == "image/png")
        self.assertEqual(len(qr_attachment), 1)
        self.assertEqual(self._decode_qr_codes(qr_attachment.raw), [url])

    def test_template_in_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_link")
        template.with_context(lang="fr_FR").subject = "{{ user.company_id.name }} : payez vos factures en ligne"
        self.customer.lang = "fr_FR"
        composer = self._open_composer().save()
        self.assertIn("payez vos factures", composer.subject)

    def test_other_template_does_not_log_sent(self):
        other_template = self.env["mail.template"].create({
            "name": "Plain note",
            "model_id": self.env["ir.model"]._get_id("res.partner"),
            "subject": "Hello",
            "body_html": "<p>Hello</p>",
        })
        composer = self.env["mail.compose.message"].with_context(
            default_model="res.partner", default_res_ids=self.customer.ids,
            default_template_id=other_template.id, default_composition_mode="comment",
        ).create({})
        composer.action_send_mail()
        self.assertFalse(self._events())
