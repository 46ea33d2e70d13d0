import { registry } from "@web/core/registry";

/**
 * A Spanish customer pays on the page in Spanish: amounts typed and shown with a
 * decimal comma, messages, the fee disclosure and the receipt in Spanish.
 */
registry.category("web_tour.tours").add("invoice_public_pay_pay_invoices_es", {
    steps: () => [
        {
            content: "The page is in Spanish: nothing chosen yet, the total is zero",
            trigger:
                "html[lang='es-ES'] .o_invoice_pay_group:has(.o_invoice_pay_total:contains('0,00')) .o_invoice_pay_submit:disabled",
        },
        {
            content: "Tick the oldest invoice",
            trigger: ".o_invoice_pay_row:first .o_invoice_pay_select",
            run: "click",
        },
        {
            content: "The total shows its amount due, written the Spanish way",
            trigger: ".o_invoice_pay_total:contains('400,00')",
        },
        {
            content: "Type something that is not an amount in the second invoice",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_amount",
            run: "edit abc",
        },
        {
            content: "The error is in Spanish, with an example written the Spanish way",
            trigger: ".o_invoice_pay_error:contains('Introduzca un importe como 120,50.')",
        },
        {
            content: "Pay part of the second invoice with a decimal comma",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_amount",
            run: "edit 100,25",
        },
        {
            content: "The amount is read: the row is ticked",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_select:checked",
        },
        {
            content: "The total updates, written the Spanish way",
            trigger: ".o_invoice_pay_total:contains('500,25')",
        },
        {
            content: "Pagar",
            trigger: ".o_invoice_pay_submit:enabled:contains('Pagar')",
            run: "click",
        },
        {
            content: "The summary above Odoo's payment form is in Spanish",
            trigger:
                ".o_invoice_pay_checkout:has(h3:contains('Su pago')) .o_invoice_pay_checkout_total:contains('500,25')",
        },
        {
            content: "Choose Card",
            trigger:
                ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "The surcharge rule is explained in Spanish",
            trigger:
                ".o_invoice_pay_checkout .o_invoice_pay_fee_disclosure:contains('recargo'):contains('tarjetas de débito y prepago')",
        },
        {
            content: "Enter the demo's debit test card: no surcharge",
            trigger:
                ".o_invoice_pay_checkout [name='o_payment_option']:has(input[data-payment-method-code='card']) input[name='customer_input']",
            run: "edit 4000 0566 5566 5556",
        },
        {
            content: "Confirm the payment",
            trigger: ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the Spanish page: the payment was successful",
            trigger:
                "html[lang='es-ES'] .o_invoice_pay_result.show .modal-title:contains('Pago realizado')",
            timeout: 30000,
        },
        {
            content: "The details read the Spanish way",
            trigger: ".o_invoice_pay_result.show .o_invoice_pay_result_details:contains('500,25')",
        },
        {
            content: "The receipt is in Spanish",
            trigger:
                ".o_invoice_pay_result.show .o_invoice_pay_print_receipt:contains('Imprimir recibo')",
            async run() {
                const response = await fetch(this.anchor.getAttribute("href"));
                const receipt = await response.text();
                if (
                    !response.ok ||
                    !receipt.includes("Recibo de pago") ||
                    !receipt.includes("500,25")
                ) {
                    throw new Error(`Unexpected receipt (${response.status})`);
                }
            },
        },
    ],
});
