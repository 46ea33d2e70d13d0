import { patch } from "@web/core/utils/patch";

import { PaymentForm } from "@payment/interactions/payment_form";

patch(PaymentForm.prototype, {
    /**
     * Send the invoices and amounts chosen on the public pay page with the
     * transaction request; the server prices them itself.
     *
     * @override method from @payment/interactions/payment_form
     */
    _prepareTransactionRouteParams() {
        const params = super._prepareTransactionRouteParams(...arguments);
        const checkout = this.el.closest(".o_invoice_pay_checkout");
        if (checkout?.dataset.allocations) {
            params.allocations = JSON.parse(checkout.dataset.allocations);
        }
        return params;
    },
});
