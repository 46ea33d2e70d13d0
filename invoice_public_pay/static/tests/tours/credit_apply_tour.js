import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("invoice_public_pay_apply_credit", {
    steps: () => [
        {
            content: "The credit note is offered with its open amount",
            trigger:
                ".o_invoice_pay_credit:contains('RINV/'):has(.o_invoice_pay_credit_open:contains('150.00')) .o_invoice_pay_credit_apply",
            run: "click",
        },
        {
            content: "The credit is prefilled on the oldest invoice",
            trigger:
                ".o_invoice_pay_credit_panel:not(.d-none) .o_invoice_pay_credit_total:contains('150.00')",
        },
        {
            content: "Apply 100.00 to the oldest invoice",
            trigger: ".o_invoice_pay_credit_amount:eq(0)",
            run: "edit 100.00",
        },
        {
            content: "And 50.00 to the second one",
            trigger: ".o_invoice_pay_credit_amount:eq(1)",
            run: "edit 50.00",
        },
        {
            content: "The total applied is the whole credit",
            trigger: ".o_invoice_pay_credit_total:contains('150.00')",
        },
        {
            content: "Apply credit",
            trigger: ".o_invoice_pay_credit_submit:enabled",
            run: "click",
        },
        {
            content: "Confirm in the dialog",
            trigger:
                ".modal:contains('Apply this credit?') .modal-footer .btn-primary:contains('Apply credit')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The page shows the new balance of the oldest invoice; the credit is used up",
            trigger:
                "body:not(:has(.o_invoice_pay_credit)) .o_invoice_pay_row:eq(0) .o_invoice_pay_amount_due:contains('300.00')",
        },
        {
            content: "Tick the oldest invoice: the rest of it",
            trigger: ".o_invoice_pay_row:eq(0) .o_invoice_pay_select",
            run: "click",
        },
        {
            content: "Pay the rest",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('300.00')) .o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content: "Choose Card",
            trigger:
                ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "Enter the demo's debit test card",
            trigger:
                ".o_invoice_pay_checkout [name='o_payment_option']:has(input[data-payment-method-code='card']) input[name='customer_input']",
            run: "edit 4000 0566 5566 5556",
        },
        {
            content: "Confirm the payment",
            trigger:
                ".o_invoice_pay_checkout:has(.o_invoice_pay_checkout_total:contains('300.00')) button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the page: the payment was successful",
            trigger: ".o_invoice_pay_result.show .modal-title:contains('Payment successful')",
            timeout: 30000,
        },
    ],
});
