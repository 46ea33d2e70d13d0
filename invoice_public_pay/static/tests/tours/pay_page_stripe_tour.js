import { registry } from "@web/core/registry";

/**
 * A stand-in for Stripe.js (which this machine cannot load): its Payment Element is a
 * text input, and the ConfirmationToken it "creates" is the id typed there, one the
 * test has registered in the fake Stripe API the server talks to.
 */
function installStandInStripe() {
    window.Stripe = () => ({
        elements() {
            let input = null;
            const listeners = [];
            const paymentElement = {
                mount(container) {
                    input = document.createElement("input");
                    input.name = "stand_in_stripe_card";
                    input.setAttribute("aria-label", "Card");
                    input.addEventListener("input", () => listeners.forEach((cb) => cb({})));
                    container.append(input);
                },
                on(event, callback) {
                    if (event === "change") {
                        listeners.push(callback);
                    }
                },
            };
            return {
                create: () => paymentElement,
                getElement: () => paymentElement,
                update() {},
                async submit() {
                    return input.value
                        ? {}
                        : { error: { message: "Your card number is incomplete." } };
                },
                readCard: () => input.value,
            };
        },
        async createConfirmationToken({ elements }) {
            return { confirmationToken: { id: elements.readCard() } };
        },
        async handleNextAction() {
            return { error: { message: "Not expected in this tour." } };
        },
    });
}

registry.category("web_tour.tours").add("invoice_public_pay_stripe", {
    steps: () => [
        {
            content: "Stripe.js is replaced by a stand-in",
            trigger: ".o_invoice_pay_group",
            run: installStandInStripe,
        },
        {
            content: "Choose the oldest invoice",
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
            content: "Choose the card through Stripe",
            trigger:
                ".o_invoice_pay_checkout input[name='o_payment_radio'][data-provider-code='stripe']",
            run: "click",
        },
        {
            content: "The card is not read yet: the button says Continue, no fee yet",
            trigger:
                ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line.d-none) button[name='o_payment_submit_button']:contains('Continue')",
        },
        {
            content: "Enter a credit card",
            trigger: ".o_invoice_pay_checkout input[name='stand_in_stripe_card']",
            run: "edit ctoken_tour_credit",
        },
        {
            content: "Continue: Stripe reads the card, the server prices it",
            trigger:
                ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled:contains('Continue')",
            run: "click",
        },
        {
            content: "The credit card surcharge and the total are shown, and the button pays them",
            trigger:
                ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line:not(.d-none):contains('12.00')):has(.o_invoice_pay_checkout_total:contains('412.00')) button[name='o_payment_submit_button']:contains('Pay'):contains('412.00')",
        },
        {
            content: "Pay",
            trigger:
                ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled:contains('412.00')",
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
