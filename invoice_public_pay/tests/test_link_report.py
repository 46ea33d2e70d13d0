from odoo.fields import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from .common import InvoicePayPaymentCommon

FEE = 12.5
AGGREGATES = [
    "sent_count:sum", "opened_count:sum", "paid_count:sum", "opened_rate:avg", "paid_rate:avg",
    "amount_collected:sum", "days_to_first_payment:median", "partial_payment_share:share",
]


@tagged("post_install", "-at_install")
class TestLinkReport(InvoicePayPaymentCommon, HttpCase):
    """Pay Link Results against a hand count.

    Three customers, payments made through the page (a 12.50 fee on each), the
    history's dates then set as below:

    - Harbor Light Bistro: sent 10 Jan 09:00 (and again 20 Feb), opened 12 Jan; paid
      400.00 (invoice fully) on 15 Jan 09:00, 100.00 (part of an invoice) on 20 Jan,
      50.00 on 25 Mar (after 60 days: not counted).
    - Quayside Books: sent 25 Jan, opened 1 Apr (after 60 days), never paid.
    - Lantern Works: sent 3 Feb 12:00, opened 4 Feb, paid 300.00 (fully) on 13 Feb 12:00.

    January: 2 sent, 1 opened (50 %), 1 paid (50 %), 500.00 collected, median 5 days,
    1 partial payment out of 2 (50 %). February: 1 sent, opened, paid (100 %), 300.00,
    10 days, 0 %. In all: 3 sent, 2 opened and paid (66.7 %), 800.00, median 7.5 days,
    1 partial payment out of 3 (33.3 %).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["invoice.pay.fee.rule"].create({
            "name": "Convenience fee",
            "payment_method_ids": [Command.set(cls.demo_method.ids)],
            "fixed_amount": FEE,
        })
        cls.lantern = cls.env["res.partner"].create({
            "name": "Lantern Works", "is_company": True, "email": "ap@lantern.example.com",
        })
        cls.lantern_invoice = cls._customer_invoice(300.0, partner=cls.lantern)

    def _pay_with_fee(self, base_path, allocations):
        self.base_path = base_path
        quote, error = self._rpc(f"{base_path}/quote", {
            "allocations": allocations, "payment_method_id": self.demo_method.id, "provider_id": self.demo_provider.id,
        })
        self.assertFalse(error, error)
        transaction = self._pay(allocations, fee_signature=quote["fee_signature"])
        self.assertEqual(transaction.state, "done")
        return transaction

    def _log(self, partner, event, date, transaction=None):
        Activity = self.env["invoice.pay.link.activity"].sudo()
        if transaction:
            activity = Activity.search([("transaction_id", "=", transaction.id), ("event", "=", event)])
            self.assertEqual(len(activity), 1)
        else:
            activity = Activity._log_events(partner, event)
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE invoice_pay_link_activity SET date = %s WHERE id = %s", date, activity.id))
        self.env.invalidate_all()

    def _make_history(self):
        bistro_path = self.base_path
        lantern_path = f"/invoice-pay/{self._token_of(self.lantern._invoice_pay_ensure_url())}"
        full = self._pay_with_fee(bistro_path, [self._alloc(self.invoice_old, "400.00")])
        part = self._pay_with_fee(bistro_path, [self._alloc(self.invoice_mid, "100.00")])
        late = self._pay_with_fee(bistro_path, [self._alloc(self.invoice_new, "50.00")])
        lantern = self._pay_with_fee(lantern_path, [self._alloc(self.lantern_invoice, "300.00")])
        self.env["invoice.pay.link.activity"].sudo().search([("event", "in", ("sent", "opened"))]).unlink()
        self._log(self.customer, "sent", "2026-01-10 09:00:00")
        self._log(self.customer, "sent", "2026-02-20 09:00:00")
        self._log(self.customer, "opened", "2026-01-12 10:00:00")
        self._log(self.customer, "payment_made", "2026-01-15 09:00:00", full)
        self._log(self.customer, "payment_made", "2026-01-20 09:00:00", part)
        self._log(self.customer, "payment_made", "2026-03-25 09:00:00", late)
        self._log(self.other_customer, "sent", "2026-01-25 09:00:00")
        self._log(self.other_customer, "opened", "2026-04-01 09:00:00")
        self._log(self.lantern, "sent", "2026-02-03 12:00:00")
        self._log(self.lantern, "opened", "2026-02-04 12:00:00")
        self._log(self.lantern, "payment_made", "2026-02-13 12:00:00", lantern)

    def _figures(self, groupby):
        Report = self.env["invoice.pay.link.report"].with_user(self.invoicing_user)
        rows = Report._read_group([], groupby, AGGREGATES)
        return {
            str(key[0]) if key else "all": [round(value, 2) if isinstance(value, float) else value for value in values]
            for *key, values in ((*row[:len(groupby)], row[len(groupby):]) for row in rows)
        }

    def test_figures_match_the_hand_count(self):
        self._make_history()
        self.assertEqual(self._figures(["cohort_date:month"]), {
            #            sent opened paid open% pay% collected median partial%
            "2026-01-01": [2, 1, 1, 50.0, 50.0, 500.0, 5.0, 50.0],
            "2026-02-01": [1, 1, 1, 100.0, 100.0, 300.0, 10.0, 0.0],
        })
        self.assertEqual(self._figures([])["all"], [3, 2, 2, 66.67, 66.67, 800.0, 7.5, 33.33])
        bistro = self.env["invoice.pay.link.report"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(bistro), 1, "one row per customer: the cohort of its first sent")
        self.assertEqual((bistro.payment_count, bistro.partial_payment_count, bistro.partial_payment_share),
                         (2, 1, 50.0))
        quayside = self.env["invoice.pay.link.report"].search([("partner_id", "=", self.other_customer.id)])
        self.assertEqual((quayside.opened_count, quayside.paid_count, quayside.amount_collected), (0, 0, 0.0))
        self.assertFalse(quayside.days_to_first_payment)

    def test_figures_on_the_customer(self):
        self._make_history()
        customer = self.customer.with_user(self.invoicing_user)
        self.assertEqual(
            (customer.invoice_pay_result_sent, customer.invoice_pay_result_opened, customer.invoice_pay_result_paid,
             customer.invoice_pay_result_collected, customer.invoice_pay_result_days_to_pay,
             customer.invoice_pay_result_partial_share),
            (1, True, True, 500.0, 5.0, 50.0),
        )
        self.assertFalse(self.other_customer.with_user(self.invoicing_user).invoice_pay_result_paid)
        action = customer.action_invoice_pay_view_results()
        self.assertEqual(self.env["invoice.pay.link.report"].search(action["domain"]).partner_id, self.customer)

    def test_other_companies_rows_are_not_shown(self):
        self._make_history()
        other_company = self.env["res.company"].create({"name": "Other Company"})
        self.env["invoice.pay.link.activity"]._log_events(self.lantern, "sent", company=other_company)
        Report = self.env["invoice.pay.link.report"]
        self.assertEqual(Report.search_count([("company_id", "=", other_company.id)]), 1)
        self.assertEqual(Report.with_user(self.invoicing_user).search_count([]), 3)

    def test_pivot_and_graph_views_load(self):
        Report = self.env["invoice.pay.link.report"].with_user(self.readonly_user)
        for view_type in ("pivot", "graph", "list", "search"):
            with self.subTest(view_type=view_type):
                self.assertTrue(Report.get_views([(False, view_type)])["views"][view_type]["arch"])
        # The web client asks for each measure with the field's aggregator.
        measures = [f"{name}:{field['aggregator']}" for name, field in Report.fields_get().items()
                    if field.get("aggregator")]
        self.assertIn("days_to_first_payment:median", measures)
        Report.formatted_read_group([], ["cohort_date:month"], measures)
