import { registry } from "@web/core/registry";

import { closeResultDialog, payAndComeBack } from "./pay_page_steps";

/**
 * Steps confirming the payment in the checkout, then reading the receipt the
 * success dialog links to (as the new tab it opens would).
 *
 * @param {string} expectation what the receipt must show, for the step's title
 * @param {(receipt: string) => boolean} isExpected
 */
function confirmAndCheckReceipt(expectation, isExpected) {
    return [
        ...payAndComeBack("Confirm the payment"),
        {
            content: `Open the receipt: ${expectation}`,
            trigger: ".o_invoice_pay_result.show .o_invoice_pay_print_receipt",
            async run() {
                const response = await fetch(this.anchor.getAttribute("href"));
                const receipt = await response.text();
                if (!response.ok || !isExpected(receipt)) {
                    throw new Error(`Unexpected receipt (${response.status})`);
                }
            },
        },
    ];
}

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
            content: "Each method shows its fee before it is chosen",
            trigger:
                ".o_invoice_pay_checkout:has(label:has(.o_invoice_pay_fee_badge:contains('No fee'))) label:has(.o_invoice_pay_fee_badge:contains('+3 % on credit cards, no fee on debit'))",
        },
        {
            content: "Choose Card: the surcharge rule is explained before the card is known",
            trigger: ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "The disclosure says which cards pay it; nothing is added yet",
            trigger: ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_disclosure:contains('surcharge applies to credit cards'):contains('no surcharge on debit or prepaid cards')):has(.o_invoice_pay_fee_line.d-none) .o_invoice_pay_checkout_total:contains('500.25')",
        },
        {
            content: "Enter the demo's debit test card",
            trigger: ".o_invoice_pay_checkout [name='o_payment_option']:has(input[data-payment-method-code='card']) input[name='customer_input']",
            run: "edit 4000 0566 5566 5556",
        },
        {
            content: "A debit card pays no surcharge",
            trigger: ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line.d-none) .o_invoice_pay_checkout_total:contains('500.25')",
        },
        ...confirmAndCheckReceipt(
            "the receipt lists the amount paid and no surcharge",
            (receipt) => receipt.includes("Payment Receipt") && receipt.includes("500.25") && !receipt.includes("surcharge")
        ),
        closeResultDialog(),
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.o_invoice_pay_result.show))",
        },
        {
            content: "Pay the rest of the second invoice, now the oldest one due",
            trigger: ".o_invoice_pay_row:contains('INV/'):first .o_invoice_pay_select",
            run: "click",
        },
        {
            content: "Pay",
            trigger: ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('150.25')) .o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content: "Choose Card",
            trigger: ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "Enter the demo's credit test card",
            trigger: ".o_invoice_pay_checkout [name='o_payment_option']:has(input[data-payment-method-code='card']) input[name='customer_input']",
            run: "edit 4242 4242 4242 4242",
        },
        {
            content: "The surcharge and the new total are shown before confirming (3 % of 150.25 is 4.5075: never above the 3 % cap)",
            trigger: ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line:not(.d-none):contains('Credit card surcharge'):contains('4.50')) .o_invoice_pay_checkout_total:contains('154.75')",
        },
        ...confirmAndCheckReceipt(
            "the receipt shows the surcharge on its own line",
            (receipt) => receipt.includes("Credit card surcharge") && receipt.includes("154.75")
        ),
    ],
});
