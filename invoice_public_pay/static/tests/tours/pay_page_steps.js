/**
 * Steps the pay page's tours share: paying with the payment form's button, then
 * closing the dialog the page opens when the customer comes back.
 */

/**
 * Press the payment form's button; the provider answers and the page comes back with
 * its result dialog.
 *
 * @param {string} content what the button does, for the step's title
 * @return {Object[]}
 */
export function payAndComeBack(content = "Pay") {
    return [
        {
            content,
            trigger: ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the page: the payment was successful",
            trigger: ".o_invoice_pay_result.show .modal-title:contains('Payment successful')",
            timeout: 30000,
        },
    ];
}

/** Close the result dialog with its Close button. */
export function closeResultDialog() {
    return {
        content: "Close the dialog",
        trigger: ".o_invoice_pay_result.show .modal-footer button[data-bs-dismiss='modal']",
        async run() {
            // Bootstrap ignores a click while the dialog is still fading in: click
            // again, as a customer would, until it is closed.
            const dialog = this.anchor.closest(".o_invoice_pay_result");
            for (let attempt = 0; attempt < 40 && dialog.classList.contains("show"); attempt++) {
                this.anchor.click();
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
        },
    };
}
