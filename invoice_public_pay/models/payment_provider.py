import stripe

from odoo import models

from odoo.addons.payment_stripe import utils as stripe_utils

#: The Stripe API version every request of ours names. PaymentIntents we create are read
#: afterwards by ``payment_stripe`` (status, amount, currency, payment_method,
#: last_payment_error), which this version keeps; the SDK's own default moves with its
#: releases, so it is never left to it.
STRIPE_API_VERSION = "2026-10-28.endive"
#: Where the SDK sends its requests; the tests point it at a local fake server.
STRIPE_API_BASE = "https://api.stripe.com"
#: Network errors are retried by the SDK (with the same idempotency key) this many times,
#: each attempt waiting at most this long: all attempts stay well within a worker's
#: ``limit_time_real`` (120 s by default).
STRIPE_MAX_NETWORK_RETRIES = 2
STRIPE_TIMEOUT_SECONDS = 20


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def action_view_invoice_pay_fee_rules(self):
        """Open the convenience fee rules that can apply to this provider."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("invoice_public_pay.action_invoice_pay_fee_rule")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            "|", ("provider_ids", "=", False), ("provider_ids", "in", self.ids),
        ]
        action["context"] = {"default_provider_ids": self.ids, "default_company_id": self.company_id.id}
        return action

    def _invoice_pay_stripe_client(self):
        """A ``stripe.StripeClient`` for this Stripe provider's secret key, at a fixed API version."""
        self.ensure_one()
        return stripe.StripeClient(
            stripe_utils.get_secret_key(self.sudo()) or "",
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": STRIPE_API_BASE},
            max_network_retries=STRIPE_MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS),
            **self._invoice_pay_stripe_client_options(),
        )

    def _invoice_pay_stripe_client_options(self):
        """Hook: extra ``StripeClient`` arguments (``stripe_account`` for a Connect integration)."""
        return {}
