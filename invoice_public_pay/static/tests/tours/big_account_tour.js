import { registry } from "@web/core/registry";

/**
 * The amount a selector's element shows, in cents ("$ 1,234.50" -> 123450).
 *
 * @param {string} selector
 * @return {number}
 */
function centsOf(selector) {
    const text = document.querySelector(selector).textContent;
    return Number(text.replace(/[^0-9]/g, ""));
}

registry.category("web_tour.tours").add("invoice_public_pay_big_account", {
    steps: () => [
        {
            content: "120 open invoices: the 50 oldest due are drawn, the totals cover all of them",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_group_summary:contains('120 open invoices')) .o_invoice_pay_shown:contains('Showing 50 of 120')",
        },
        {
            content: "Ask about the oldest invoice",
            trigger: ".o_invoice_pay_row:first .o_invoice_pay_question_open",
            run: "click",
        },
        {
            content: "The question form opens under that row, its field labelled",
            trigger: ".o_invoice_pay_row:first .o_invoice_pay_question_form textarea:focus",
            run: "edit Is this the March delivery?",
        },
        {
            content: "Send it",
            trigger: ".o_invoice_pay_row:first .o_invoice_pay_question_send",
            run: "click",
        },
        {
            content: "The row says when the question was sent; the form is closed",
            trigger:
                ".o_invoice_pay_row:first:has(.o_invoice_pay_question_form.d-none) .o_invoice_pay_question_sent:not(.d-none)",
            run() {
                const label = this.anchor
                    .closest(".o_invoice_pay_row")
                    .querySelector(".o_invoice_pay_question_form label");
                if (!document.getElementById(label.htmlFor)) {
                    throw new Error("The question field has no label");
                }
            },
        },
        {
            content: "Search by the customer's purchase order",
            trigger: ".o_invoice_pay_search",
            run: "edit PO-4471-7",
        },
        {
            content: "Only the invoice with that reference is drawn",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_shown:contains('Showing 1 of 1')) .o_invoice_pay_row:only-child:contains('PO-4471-70')",
        },
        {
            content: "Tick it",
            trigger: ".o_invoice_pay_row:contains('PO-4471-7') .o_invoice_pay_select",
            run: "click",
        },
        {
            content: "Clear the search: the oldest rows come back, the choice stays",
            trigger: ".o_invoice_pay_search",
            run: "clear",
        },
        {
            content: "50 rows again, and the invoice found is still chosen in the total",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_shown:contains('Showing 50 of 120')) .o_invoice_pay_submit:enabled",
        },
        {
            content: "Select all: mixed (one invoice chosen) turns into every invoice in full",
            trigger: ".o_invoice_pay_select_all",
            run: "click",
        },
        {
            content: "The total is the whole group's amount due, invoices not drawn included",
            trigger: ".o_invoice_pay_select_all:checked",
            run() {
                const total = centsOf(".o_invoice_pay_total");
                const due = centsOf(".o_invoice_pay_group_summary strong");
                if (!total || total !== due) {
                    throw new Error(`Total ${total} is not the group's amount due ${due}`);
                }
            },
        },
        {
            content: "Leave out the oldest invoice",
            trigger: ".o_invoice_pay_row:first .o_invoice_pay_select:checked",
            run: "click",
        },
        {
            content: "Type an amount the English way would not read: 1,5",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_amount",
            run: "edit 1,5",
        },
        {
            content:
                "Refused at its field, never read as 15: the field is marked and linked to the message",
            trigger:
                ".o_invoice_pay_row:eq(1):has(.o_invoice_pay_amount_error:contains('Write the decimals after “.”, as in 1.50.')) .o_invoice_pay_amount.is-invalid[aria-invalid='true'][aria-describedby]",
            run() {
                const describedBy = this.anchor.getAttribute("aria-describedby");
                if (!document.getElementById(describedBy)?.textContent.includes("1.50")) {
                    throw new Error("The field is not linked to its message");
                }
                if (!document.querySelector(".o_invoice_pay_submit").disabled) {
                    throw new Error("Pay must be disabled while an amount is wrong");
                }
            },
        },
        {
            content: "Pay part of the second one, with the currency sign",
            trigger: ".o_invoice_pay_row:eq(1) .o_invoice_pay_amount",
            run: "edit $10.00",
        },
        {
            content: "Accepted: the mark is gone",
            trigger:
                ".o_invoice_pay_row:eq(1) .o_invoice_pay_amount:not(.is-invalid):not([aria-invalid])",
        },
        {
            content: "Select all now shows a mixed state",
            trigger: ".o_invoice_pay_select_all:not(:checked)",
            run() {
                if (!this.anchor.indeterminate) {
                    throw new Error("Select all should be mixed");
                }
            },
        },
        {
            content: "Load more",
            trigger: ".o_invoice_pay_more:not(.d-none)",
            run: "click",
        },
        {
            content: "100 drawn; the rows loaded are chosen in full too",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_shown:contains('Showing 100 of 120')) .o_invoice_pay_row:eq(99) .o_invoice_pay_select:checked",
        },
        {
            content: "Load the last ones",
            trigger: ".o_invoice_pay_more:not(.d-none)",
            run: "click",
        },
        {
            content: "All 120 drawn, nothing more to load",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_shown:contains('Showing 120 of 120')):has(.o_invoice_pay_more.d-none) .o_invoice_pay_row:eq(119) .o_invoice_pay_select:checked",
        },
        {
            content: "Pay",
            trigger: ".o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content:
                "The summary is collapsed (119 invoices and their amount); one Pay button, the form's",
            trigger:
                ".o_invoice_pay_group.o_invoice_pay_checking_out:has(.o_invoice_pay_submit:not(:visible)) .o_invoice_pay_checkout .o_invoice_pay_summary_many summary:contains('119 invoices, $')",
        },
        {
            content: "Change selection",
            trigger: ".o_invoice_pay_checkout .o_invoice_pay_change",
            run: "click",
        },
        {
            content: "Back to the rows, the choice kept, focus on Pay",
            trigger:
                ".o_invoice_pay_group:not(.o_invoice_pay_checking_out) .o_invoice_pay_submit:enabled:focus",
        },
        {
            content: "Pay again",
            trigger: ".o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content: "Choose Card",
            trigger:
                ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "Enter the demo's debit test card (no surcharge)",
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
            content: "Back on the page: the payment was successful",
            trigger: ".o_invoice_pay_result.show .modal-title:contains('Payment successful')",
            timeout: 60000,
        },
    ],
});
