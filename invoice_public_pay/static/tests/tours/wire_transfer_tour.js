import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("invoice_public_pay_wire_transfer", {
    steps: () => [
        {
            content: "Tick the oldest invoice",
            trigger: ".o_invoice_pay_row:contains('INV/'):first .o_invoice_pay_select",
            run: "click",
        },
        {
            content: "Pay",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('400.00')) .o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content: "Wire transfer is offered next to the card, without a fee",
            trigger:
                ".o_invoice_pay_checkout:has(input[data-payment-method-code='card']) [name='o_payment_option']:has(input[data-payment-method-code='wire_transfer']) .o_invoice_pay_fee_badge:contains('No fee')",
        },
        {
            content: "Choose wire transfer",
            trigger:
                ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='wire_transfer']",
            run: "click",
        },
        {
            content: "No fee is added",
            trigger:
                ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line.d-none) .o_invoice_pay_checkout_total:contains('400.00')",
        },
        {
            content: "Confirm",
            trigger: ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the page: how to pay by bank transfer",
            trigger: ".o_invoice_pay_result.show .modal-title:contains('Pay by bank transfer')",
            timeout: 30000,
        },
        {
            content: "The instructions give the bank account",
            trigger:
                ".o_invoice_pay_result.show .o_invoice_pay_transfer_instructions:contains('BE71 0961 2345 6769')",
        },
        {
            content: "The amount to transfer",
            trigger: ".o_invoice_pay_result.show .o_invoice_pay_result_details:contains('400.00')",
        },
        {
            content: "The communication to quote is the invoice's own payment reference",
            trigger:
                ".o_invoice_pay_result.show .o_invoice_pay_result_communication:contains('RF18539007547034')",
        },
        {
            content: "The payment's reference is given too, as listed under Payments made",
            trigger: ".o_invoice_pay_result.show .o_invoice_pay_result_reference",
            run() {
                const reference = this.anchor.textContent.trim();
                const listed = [
                    ...document.querySelectorAll(".o_invoice_pay_payments_made li strong"),
                ].map((element) => element.textContent.trim());
                if (!reference.startsWith("INV/") || !listed.includes(reference)) {
                    throw new Error(`Reference "${reference}" is not listed under Payments made`);
                }
            },
        },
        {
            content: "Close the dialog",
            trigger: ".o_invoice_pay_result.show button[data-bs-dismiss='modal']",
            async run() {
                // Bootstrap ignores a click while the dialog is still fading in.
                const dialog = this.anchor.closest(".o_invoice_pay_result");
                for (
                    let attempt = 0;
                    attempt < 40 && dialog.classList.contains("show");
                    attempt++
                ) {
                    this.anchor.click();
                    await new Promise((resolve) => setTimeout(resolve, 250));
                }
            },
        },
        {
            content: "The invoice shows the transfer as processing",
            trigger:
                "body:not(:has(.o_invoice_pay_result.show)) .o_invoice_pay_row:contains('INV/'):first .o_invoice_pay_processing:contains('400.00')",
        },
    ],
});

registry.category("web_tour.tours").add("invoice_public_pay_wire_transfer_received", {
    steps: () => [
        {
            content: "The transfer waits for the money",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Pending')",
        },
        {
            content: "The money is on the bank account: mark the transfer as received",
            trigger: ".o_form_view button[name='action_invoice_pay_mark_received']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger:
                ".modal:contains('Check first that the money is on the bank account') .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The accountant is told it is booked",
            trigger: ".o_notification:contains('is received and booked on its invoices')",
        },
        {
            content: "The transaction is confirmed and the button is gone",
            trigger:
                ".o_form_view:not(:has(button[name='action_invoice_pay_mark_received'])) .o_statusbar_status .o_arrow_button_current:contains('Confirmed')",
        },
        {
            content: "Its settlement lists what the invoice got",
            trigger:
                ".o_field_widget[name='invoice_pay_settlement_line_ids'] .o_data_row:contains('INV/')",
        },
    ],
});
