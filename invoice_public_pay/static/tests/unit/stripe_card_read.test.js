import { describe, expect, test } from "@odoo/hoot";

import { finishStripePayment, readStripeCard } from "@invoice_public_pay/frontend/stripe_card_read";

describe.current.tags("desktop");

/**
 * A stand-in for the object `Stripe(publishableKey)` returns: it records what the
 * page asks of it and answers as Stripe.js documents.
 */
function makeStripe({ tokenError, nextActionError } = {}) {
    const calls = [];
    return {
        calls,
        async createConfirmationToken(options) {
            calls.push(["createConfirmationToken", options]);
            if (tokenError) {
                return { error: { type: "validation_error", message: tokenError } };
            }
            return { confirmationToken: { id: "ctoken_1Page", object: "confirmation_token" } };
        },
        async handleNextAction(options) {
            calls.push(["handleNextAction", options]);
            if (nextActionError) {
                return { error: { type: "card_error", message: nextActionError } };
            }
            return { paymentIntent: { id: "pi_1", status: "succeeded" } };
        },
    };
}

function makeElements({ submitError } = {}) {
    const calls = [];
    return {
        calls,
        async submit() {
            calls.push("submit");
            return submitError ? { error: { message: submitError } } : {};
        },
    };
}

test("the card is read into a ConfirmationToken after the form is checked", async () => {
    const stripe = makeStripe();
    const elements = makeElements();
    const result = await readStripeCard(stripe, elements);
    expect(result).toEqual({ confirmationToken: "ctoken_1Page" });
    expect(elements.calls).toEqual(["submit"]);
    expect(stripe.calls).toEqual([["createConfirmationToken", { elements }]]);
});

test("an incomplete card is reported and no token is created", async () => {
    const stripe = makeStripe();
    const result = await readStripeCard(
        stripe,
        makeElements({ submitError: "Your card number is incomplete." })
    );
    expect(result).toEqual({ error: "Your card number is incomplete." });
    expect(stripe.calls).toEqual([]);
});

test("a token Stripe refuses to create is reported", async () => {
    const stripe = makeStripe({ tokenError: "Your card has expired." });
    const result = await readStripeCard(stripe, makeElements());
    expect(result).toEqual({ error: "Your card has expired." });
});

test("a payment the server charged goes to Odoo's status page, never confirmed again", async () => {
    const stripe = makeStripe();
    const result = await finishStripePayment(stripe, {
        status: "succeeded",
        client_secret: "pi_1_secret",
        payment_intent: "pi_1",
        return_url: "/payment/stripe/return?reference=INV-1",
    });
    expect(result).toEqual({ redirect: "/payment/status" });
    expect(stripe.calls).toEqual([]);
});

test("3-D Secure is finished in the browser, then Stripe's return route reads the payment", async () => {
    const stripe = makeStripe();
    const result = await finishStripePayment(stripe, {
        status: "requires_action",
        client_secret: "pi_1_secret",
        payment_intent: "pi_1",
        return_url: "http://localhost:8069/payment/stripe/return?reference=INV-1",
    });
    expect(stripe.calls).toEqual([["handleNextAction", { clientSecret: "pi_1_secret" }]]);
    expect(result).toEqual({
        redirect: "/payment/stripe/return?reference=INV-1&payment_intent=pi_1",
    });
});

test("a failed challenge or a declined card is shown, with nowhere to go", async () => {
    const failed = await finishStripePayment(
        makeStripe({ nextActionError: "Authentication failed." }),
        {
            status: "requires_action",
            client_secret: "pi_1_secret",
            payment_intent: "pi_1",
            return_url: "/payment/stripe/return?reference=INV-1",
        }
    );
    expect(failed).toEqual({ error: "Authentication failed." });
    const stripe = makeStripe();
    const declined = await finishStripePayment(stripe, {
        status: "error",
        error: "Your card was declined.",
    });
    expect(declined).toEqual({ error: "Your card was declined." });
    expect(stripe.calls).toEqual([]);
});

test("a lost answer of Stripe lets the customer confirm the same payment again", async () => {
    const stripe = makeStripe();
    const lost = await finishStripePayment(stripe, {
        status: "retry",
        error: "The card processor did not answer.",
    });
    expect(lost).toEqual({ error: "The card processor did not answer.", retry: true });
    expect(stripe.calls).toEqual([]);
});
