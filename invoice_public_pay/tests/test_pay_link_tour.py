from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from .common import InvoicePayCommon


@tagged("post_install", "-at_install")
class TestPayLinkTour(InvoicePayCommon, HttpCase):

    def test_copy_link_from_customer_form(self):
        self._customer_invoice(150.0)
        base_url = self.base_url()
        original_init = ChromeBrowser.__init__

        def init_with_clipboard(browser, *args, **kwargs):
            original_init(browser, *args, **kwargs)
            # A user clicking in a real browser may write to the clipboard; the
            # test browser needs the same permission granted explicitly.
            browser._websocket_request("Browser.grantPermissions", params={
                "origin": base_url,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            })

        with patch.object(ChromeBrowser, "__init__", init_with_clipboard):
            self.start_tour(
                f"/odoo/res.partner/{self.customer.id}",
                "invoice_public_pay_copy_link",
                login="ipp_billing",
            )
        copied = self._events(event="copied")
        self.assertEqual(len(copied), 1)
        self.assertEqual(copied.user_id, self.invoicing_user)
