/**
 * Stripe on the invoice pay page, the browser's part.
 *
 * The card is read before the amount is fixed: Stripe.js turns what the Payment
 * Element holds into a ConfirmationToken, which the server reads to price the
 * payment and later confirms the PaymentIntent with. The browser never confirms
 * with the live Element; it only finishes what Stripe asks of the customer
 * (3-D Secure) after the server confirmed.
 *
 * Plain functions of a Stripe.js instance, so that they can be tested with a
 * stand-in `Stripe` object.
 */

/**
 * Read the card the Payment Element holds into a ConfirmationToken.
 *
 * @param {object} stripeJS - the `Stripe(...)` instance
 * @param {object} elements - the `stripe.elements(...)` group holding the Payment Element
 * @return {Promise<{confirmationToken?: string, error?: string}>}
 */
export async function readStripeCard(stripeJS, elements) {
    const submitted = await elements.submit();
    if (submitted?.error) {
        return { error: submitted.error.message };
    }
    const { error, confirmationToken } = await stripeJS.createConfirmationToken({ elements });
    if (error) {
        return { error: error.message };
    }
    return { confirmationToken: confirmationToken.id };
}

/**
 * Finish a payment the server created and confirmed with the ConfirmationToken.
 *
 * @param {object} stripeJS - the `Stripe(...)` instance
 * @param {object} processingValues - what the page's `/transaction` route answered
 * @return {Promise<{redirect?: string, error?: string}>} where to go next, or what went wrong
 */
export async function finishStripePayment(stripeJS, processingValues) {
    const result = processingValues.invoice_pay_stripe || {};
    if (result.error) {
        return { error: result.error };
    }
    if (result.status === "requires_action") {
        const { error } = await stripeJS.handleNextAction({
            clientSecret: processingValues.client_secret,
        });
        if (error) {
            return { error: error.message };
        }
        // Stripe's return route reads the PaymentIntent and updates the payment.
        const url = new URL(processingValues.return_url, window.location.origin);
        url.searchParams.set("payment_intent", result.payment_intent);
        return { redirect: url.pathname + url.search };
    }
    // Confirmed (or being processed): Odoo's status page takes the customer back to the invoices.
    return { redirect: "/payment/status" };
}
