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
 * Finish a payment the server charged with the ConfirmationToken (its `/stripe-confirm` answer).
 *
 * @param {object} stripeJS - the `Stripe(...)` instance
 * @param {object} result - `status` (Stripe's, `error` or `retry`), `error`, `client_secret`,
 *     `payment_intent`, `return_url`
 * @return {Promise<{redirect?: string, error?: string, retry?: boolean}>} where to go next, or
 *     what went wrong (`retry`: the same payment may be confirmed again, it is charged once)
 */
export async function finishStripePayment(stripeJS, result) {
    if (result.status === "error") {
        return { error: result.error };
    }
    if (result.status === "retry") {
        return { error: result.error, retry: true };
    }
    if (result.status === "requires_action") {
        const { error } = await stripeJS.handleNextAction({ clientSecret: result.client_secret });
        if (error) {
            return { error: error.message };
        }
        // Stripe's return route reads the PaymentIntent and updates the payment.
        const url = new URL(result.return_url, window.location.origin);
        url.searchParams.set("payment_intent", result.payment_intent);
        return { redirect: url.pathname + url.search };
    }
    // Charged, authorized or being processed: Odoo's status page takes the customer back.
    return { redirect: "/payment/status" };
}
