from odoo.tests import HttpCase, tagged

from .common import InvoicePayPaymentCommon


@tagged("post_install", "-at_install")
class TestQueryCounts(InvoicePayPaymentCommon, HttpCase):
    """The page and the quote run no query per invoice: same count for 3 and 40 invoices.

    Counts come from Odoo's own per-request counter (the request log line). Timing
    is measured by the benchmark command, not here.
    """

    def _server_query_count(self, send_request):
        return int(self._capture_request_log(send_request)[-1].perf_info.split()[0])

    def _measure(self):
        def get_list():
            self.assertEqual(self.url_open(f"{self.base_path}/invoices").status_code, 200)

        def quote():
            invoices = self.env["account.move"].search([
                ("commercial_partner_id", "=", self.customer.id), ("amount_residual", ">", 0),
                ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
            ])
            _result, error = self._rpc(f"{self.base_path}/quote", {"allocations": [
                self._alloc(invoice, invoice.amount_residual) for invoice in invoices
            ]})
            self.assertIsNone(error)

        counts = {}
        for name, send_request in (("list", get_list), ("quote", quote)):
            send_request()  # warm the caches, as a second visitor would find them
            counts[name] = self._server_query_count(send_request)
        return counts

    def test_no_query_per_invoice(self):
        few = self._measure()
        self.env["account.move"].create([
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self.invoice_new.invoice_date,
                "invoice_line_ids": [self._prepare_invoice_line(price_unit=10.0 + index, tax_ids=[])],
            }
            for index in range(37)
        ]).action_post()
        many = self._measure()
        self.assertEqual(many, few, "3 invoices and 40 invoices must cost the same number of queries")
        self.assertLessEqual(many["list"], 40)
        self.assertLessEqual(many["quote"], 40)
