import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("invoice_public_pay_pay_invoices", {
    steps: () => [
        {
            content: "Nothing chosen yet: the total is zero and Pay is disabled",
            trigger: ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('0.00')) .o_invoice_pay_submit:disabled",
        },
        {
            content: "Tick the oldest invoice: its amount due fills the amount field",
            trigger: ".o_invoice_pay_row:contains('INV/'):first .o_invoice_pay_select",
            run: "click",
        },
        {
            content: "The total shows the full amount of the oldest invoice",
            trigger: ".o_invoice_pay_total:contains('400.00')",
        },
        {
            content: "Pay part of the second invoice by typing an amount",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_amount",
            run: "edit 100.25",
        },
        {
            content: "Typing an amount ticks the row",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_select:checked",
        },
        {
            content: "The total updates at once",
            trigger: ".o_invoice_pay_total:contains('500.25')",
        },
        {
            content: "Pay",
            trigger: ".o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content: "The chosen invoices and amounts are summarised above Odoo's payment form",
            trigger: ".o_invoice_pay_checkout .o_invoice_pay_checkout_total:contains('500.25')",
        },
        {
            content: "Choose Card: its convenience fee is added and explained before paying",
            trigger: ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "The fee line, the disclosure and the new total are shown",
            trigger: ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line:not(.d-none):contains('Card convenience fee'):contains('15.01')):has(.o_invoice_pay_fee_disclosure:contains('3 %')) .o_invoice_pay_checkout_total:contains('515.26')",
        },
        {
            content: "Switch to the demo method, which has no fee",
            trigger: ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='demo']",
            run: "click",
        },
        {
            content: "The fee is gone and the total is back to the invoice amounts",
            trigger: ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line.d-none) .o_invoice_pay_checkout_total:contains('500.25')",
        },
        {
            content: "Enter the (test) card details",
            trigger: ".o_invoice_pay_checkout #customer_input",
            run: "edit 4242",
        },
        {
            content: "Confirm the payment",
            trigger: ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the page: the payment was successful",
            trigger: ".o_invoice_pay_result.show .modal-title:contains('Payment successful')",
            timeout: 30000,
        },
        {
            content: "Open the receipt: it lists the amount paid",
            trigger: ".o_invoice_pay_result.show .o_invoice_pay_print_receipt",
            async run() {
                // The receipt opens in a new tab; read it as that tab would.
                const response = await fetch(this.anchor.getAttribute("href"));
                const receipt = await response.text();
                if (!response.ok || !receipt.includes("Payment Receipt") || !receipt.includes("500.25")) {
                    throw new Error(`Unexpected receipt (${response.status})`);
                }
            },
        },
    ],
});
