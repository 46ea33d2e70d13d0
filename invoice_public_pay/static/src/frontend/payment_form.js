import { _t } from "@web/core/l10n/translation";
import { RPCError, rpc } from "@web/core/network/rpc";
import { patch } from "@web/core/utils/patch";

import { PaymentForm } from "@payment/interactions/payment_form";
import { finishStripePayment, readStripeCard } from "./stripe_card_read";

/**
 * On the public invoice pay page, Odoo's payment form pays the invoices and
 * amounts chosen above it: the convenience fee of the selected payment method
 * is priced by the server before the provider's inline form is prepared, so
 * that the provider is given the real total.
 */
patch(PaymentForm.prototype, {
    /**
     * @override method from @payment/interactions/payment_form
     */
    async _expandInlineForm(radio) {
        const checkout = this._getInvoicePayCheckout();
        if (checkout) {
            this.invoicePayStripeCard = null;
            await this.waitFor(this._invoicePayRequote(checkout, radio));
        }
        const result = await super._expandInlineForm(...arguments);
        if (checkout) {
            this._invoicePayWatchCardInput(checkout, radio);
            this._invoicePayWatchStripeElement(checkout, radio);
        }
        return result;
    },

    /**
     * The pay button says what it does: "Continue" while Stripe still has to read the
     * card, then "Pay" and the total with its fee.
     *
     * @override method from @payment/interactions/payment_form
     */
    _adaptSubmitButtonLabel(paymentMethodCode) {
        const checkout = this._getInvoicePayCheckout();
        const radio = this.el.querySelector("input[name='o_payment_radio']:checked");
        if (
            !checkout ||
            !radio ||
            !this.invoicePayQuote ||
            this._isPayLaterPaymentMethod(paymentMethodCode)
        ) {
            return super._adaptSubmitButtonLabel(...arguments);
        }
        const label = this._invoicePayMustReadCard(radio)
            ? _t("Continue")
            : _t("Pay %s", this.invoicePayQuote.formatted.amount_total);
        for (const button of this.el.querySelectorAll("button[name='o_payment_submit_button']")) {
            button.textContent = label;
        }
    },

    /**
     * Whether the selected option is Stripe's form and its card was not read yet.
     *
     * @param {HTMLInputElement} radio
     * @return {boolean}
     */
    _invoicePayMustReadCard(radio) {
        return (
            !this.invoicePayPendingPayment &&
            this._invoicePayIsStripeForm(radio) &&
            this.invoicePayStripeCard?.optionId !== this._getPaymentOptionId(radio)
        );
    },

    /**
     * Whether the option is Stripe's Payment Element (not a saved card).
     *
     * @param {HTMLInputElement} radio
     * @return {boolean}
     */
    _invoicePayIsStripeForm(radio) {
        return (
            this._getProviderCode(radio) === "stripe" &&
            this._getPaymentOptionType(radio) !== "token"
        );
    },

    /**
     * A card read by Stripe is only good for the card entered then: any change asks to read it again.
     *
     * @param {HTMLElement} checkout
     * @param {HTMLInputElement} radio
     */
    _invoicePayWatchStripeElement(checkout, radio) {
        if (
            this._getProviderCode(radio) !== "stripe" ||
            this._getPaymentOptionType(radio) === "token"
        ) {
            return;
        }
        const optionId = this._getPaymentOptionId(radio);
        const paymentElement = this.stripeElements?.[optionId]?.getElement("payment");
        if (!paymentElement || paymentElement.invoicePayWatched) {
            return;
        }
        paymentElement.invoicePayWatched = true;
        const forgetCard = () => {
            if (this.invoicePayStripeCard?.optionId === optionId) {
                this.invoicePayStripeCard = null;
                const checkedRadio = this.el.querySelector("input[name='o_payment_radio']:checked");
                if (checkedRadio) {
                    this._invoicePayRequote(checkout, checkedRadio).catch(() => {});
                }
            }
        };
        paymentElement.on("change", forgetCard);
        // Saving the card or not is part of the card entry Stripe reads.
        const tokenize = this._getInlineForm(radio)?.querySelector(
            "input[name='o_payment_tokenize_checkbox']"
        );
        if (tokenize) {
            this.addListener(tokenize, "change", forgetCard);
        }
    },

    /**
     * A surcharge depends on the card: price again once the provider's form knows it.
     *
     * The demo provider's form takes a test card number; the server reads what kind
     * of card it is (credit, debit, prepaid) and prices the payment accordingly.
     *
     * @param {HTMLElement} checkout
     * @param {HTMLInputElement} radio
     */
    _invoicePayWatchCardInput(checkout, radio) {
        const input = this._invoicePayCardInput(radio);
        if (!input || input.dataset.invoicePayWatched) {
            return;
        }
        input.dataset.invoicePayWatched = "1";
        let timer;
        const requote = () => {
            clearTimeout(timer);
            const checkedRadio = this.el.querySelector("input[name='o_payment_radio']:checked");
            if (checkedRadio) {
                this._invoicePayRequote(checkout, checkedRadio).catch(() => {});
            }
        };
        this.addListener(input, "input", () => {
            clearTimeout(timer);
            timer = setTimeout(requote, 300);
        });
        this.addListener(input, "change", requote);
    },

    /**
     * The input of the selected option's inline form that identifies the card, if any.
     *
     * @param {HTMLInputElement} radio
     * @return {HTMLInputElement|null}
     */
    _invoicePayCardInput(radio) {
        if (this._getProviderCode(radio) !== "demo") {
            return null;
        }
        return this._getInlineForm(radio)?.querySelector("input[name='customer_input']") || null;
    },

    /**
     * Show the new figures when the server refused the payment (e.g. the fee changed).
     *
     * @override method from @payment/interactions/payment_form
     */
    async _initiatePaymentFlow(providerCode, paymentOptionId, paymentMethodCode, flow) {
        const checkout = this._getInvoicePayCheckout();
        const checkedRadio = this.el.querySelector("input[name='o_payment_radio']:checked");
        if (checkout && checkedRadio && this._invoicePayIsStripeForm(checkedRadio)) {
            if (this._invoicePayMustReadCard(checkedRadio)) {
                // First click ("Continue"): Stripe reads the card, the server prices it.
                await this._invoicePayReadStripeCard(checkout, checkedRadio, paymentOptionId);
            } else {
                await this._invoicePayStripePay(checkout, checkedRadio, paymentMethodCode);
            }
            this._enableButton();
            return;
        }
        try {
            return await super._initiatePaymentFlow(...arguments);
        } catch (error) {
            if (checkout && checkedRadio) {
                await this._invoicePayRequote(checkout, checkedRadio).catch(() => {});
            }
            throw error;
        }
    },

    /**
     * Pay with the card Stripe read: the server creates the transaction (committed), then
     * charges it with the card entry priced; the browser only finishes 3-D Secure.
     *
     * Payment_stripe's own flow is not used here: it would submit the form again (a
     * wallet's sheet would open twice) and confirm with what the form holds.
     *
     * @param {HTMLElement} checkout
     * @param {HTMLInputElement} radio
     * @param {string} paymentMethodCode
     */
    async _invoicePayStripePay(checkout, radio, paymentMethodCode) {
        let payment = this.invoicePayPendingPayment;
        if (!payment) {
            const params = this._prepareTransactionRouteParams();
            // Once sent, a card entry is used or refused: the next attempt reads the card again.
            this.invoicePayStripeCard = null;
            try {
                const processingValues = await this.waitFor(
                    rpc(this.paymentContext.transactionRoute, params)
                );
                payment = {
                    reference: processingValues.reference,
                    access_token: processingValues.invoice_pay_access_token,
                };
            } catch (error) {
                await this._invoicePayRequote(checkout, radio).catch(() => {});
                this._invoicePayShowError(error);
                return;
            }
        }
        // Until Stripe's answer is known, this payment is the one the Pay button confirms:
        // a new one could charge the customer twice.
        this.invoicePayPendingPayment = payment;
        let outcome;
        try {
            const result = await this.waitFor(
                rpc(`${checkout.dataset.basePath}/stripe-confirm`, payment)
            );
            outcome = await this.waitFor(finishStripePayment(this.stripeJS, result));
        } catch (error) {
            this._invoicePayShowError(error);
            return;
        }
        if (outcome.redirect) {
            window.location = outcome.redirect;
            return;
        }
        if (!outcome.retry) {
            this.invoicePayPendingPayment = null;
            this._adaptSubmitButtonLabel(paymentMethodCode);
        }
        this._displayErrorDialog(_t("Payment processing failed"), outcome.error);
    },

    /**
     * Show what went wrong with a request of the page (the server's message, or the network's).
     *
     * @param {Error} error
     */
    _invoicePayShowError(error) {
        const message =
            error instanceof RPCError
                ? error.data.message
                : _t("The connection was lost. Please check it and try again.");
        this._displayErrorDialog(_t("Payment processing failed"), message);
    },

    /**
     * Read the card of Stripe's Payment Element (a ConfirmationToken) and price it.
     *
     * @param {HTMLElement} checkout
     * @param {HTMLInputElement} radio
     * @param {number} optionId
     */
    async _invoicePayReadStripeCard(checkout, radio, optionId) {
        const elements = this.stripeElements?.[optionId];
        if (!elements || !this.stripeJS) {
            this._displayErrorDialog(_t("Cannot display the payment form"));
            return;
        }
        const { confirmationToken, error } = await this.waitFor(
            readStripeCard(this.stripeJS, elements)
        );
        if (error) {
            this._displayErrorDialog(_t("Incorrect payment details"), error);
            return;
        }
        this.invoicePayStripeCard = { optionId, confirmationToken };
        try {
            await this.waitFor(this._invoicePayRequote(checkout, radio));
        } catch (requoteError) {
            this.invoicePayStripeCard = null;
            this._adaptSubmitButtonLabel(this._getPaymentMethodCode(radio));
            this._displayErrorDialog(_t("Payment processing failed"), requoteError.data?.message);
        }
    },

    /**
     * @override method from @payment/interactions/payment_form
     */
    _prepareTransactionRouteParams() {
        const params = super._prepareTransactionRouteParams(...arguments);
        const checkout = this._getInvoicePayCheckout();
        if (checkout) {
            Object.assign(params, this._invoicePaySelection(checkout));
            params.fee_signature = checkout.dataset.feeSignature || null;
            if (params.select_all) {
                params.selection_signature = checkout.dataset.selectionSignature || null;
            }
            const note = checkout.querySelector(".o_invoice_pay_note")?.value.trim();
            if (note) {
                params.note = note;
            }
            const radio = this.el.querySelector("input[name='o_payment_radio']:checked");
            const cardInput = radio && this._invoicePayCardInput(radio);
            if (cardInput?.value) {
                params.card_reference = cardInput.value;
            }
            if (radio && this.invoicePayStripeCard?.optionId === this._getPaymentOptionId(radio)) {
                params.confirmation_token = this.invoicePayStripeCard.confirmationToken;
            }
        }
        return params;
    },

    /**
     * Give providers whose inline form was rendered with an amount the new total.
     *
     * Stripe Elements is created with the amount read from its inline form values
     * (in minor units) and must match the payment intent the server creates.
     *
     * @param {HTMLElement} checkout
     * @param {HTMLInputElement} radio
     * @param {object} quote
     */
    _invoicePayUpdateProviderAmounts(checkout, radio, quote) {
        // Stripe's minor units are the server's (ISK and UGX count hundredths in Stripe only).
        const minorAmount = quote.stripe_minor_amount;
        if (minorAmount === undefined) {
            return;
        }
        for (const container of checkout.querySelectorAll("[name='o_stripe_element_container']")) {
            const values = JSON.parse(container.dataset.stripeInlineFormValues);
            values.minor_amount = minorAmount;
            container.dataset.stripeInlineFormValues = JSON.stringify(values);
        }
        // Elements already created for this option (the customer came back to it).
        this.stripeElements?.[this._getPaymentOptionId(radio)]?.update({ amount: minorAmount });
    },

    /**
     * The invoices and amounts chosen above the form, as the page's routes take them.
     *
     * @param {HTMLElement} checkout
     * @return {Object} ``allocations`` and, when chosen, ``select_all`` and ``pay_again``
     */
    _invoicePaySelection(checkout) {
        const selection = { allocations: JSON.parse(checkout.dataset.allocations) };
        if (checkout.dataset.selectAll) {
            selection.select_all = JSON.parse(checkout.dataset.selectAll);
        }
        if (checkout.dataset.payAgain) {
            selection.pay_again = JSON.parse(checkout.dataset.payAgain);
        }
        return selection;
    },

    _getInvoicePayCheckout() {
        const checkout = this.el.closest(".o_invoice_pay_checkout");
        return checkout?.dataset.allocations ? checkout : null;
    },

    /**
     * Ask the server for the fee and total with the selected payment option, and show them.
     *
     * @param {HTMLElement} checkout
     * @param {HTMLInputElement} radio
     */
    async _invoicePayRequote(checkout, radio) {
        const params = this._invoicePaySelection(checkout);
        if (this._getPaymentOptionType(radio) === "token") {
            params.token_id = this._getPaymentOptionId(radio);
        } else {
            params.payment_method_id = this._getPaymentOptionId(radio);
            params.provider_id = this._getProviderId(radio);
            const cardInput = this._invoicePayCardInput(radio);
            if (cardInput?.value) {
                params.card_reference = cardInput.value;
            }
            if (this.invoicePayStripeCard?.optionId === params.payment_method_id) {
                params.confirmation_token = this.invoicePayStripeCard.confirmationToken;
            }
        }
        const quote = await rpc(`${checkout.dataset.basePath}/quote`, params);
        this.invoicePayQuote = quote;
        this.paymentContext.amount = quote.amount_total;
        this._invoicePayUpdateProviderAmounts(checkout, radio, quote);
        checkout.dataset.feeSignature = quote.fee_signature;
        checkout.dataset.selectionSignature = quote.selection_signature;
        const feeLine = checkout.querySelector(".o_invoice_pay_fee_line");
        feeLine.classList.toggle("d-none", !quote.fee);
        feeLine.querySelector(".o_invoice_pay_fee_label").textContent = quote.fee_label;
        feeLine.querySelector(".o_invoice_pay_fee_amount").textContent = quote.formatted.fee;
        const disclosure = checkout.querySelector(".o_invoice_pay_fee_disclosure");
        disclosure.textContent = quote.fee_disclosure;
        disclosure.classList.toggle("d-none", !quote.fee_disclosure);
        checkout.querySelector(".o_invoice_pay_checkout_total").textContent =
            quote.formatted.amount_total;
        this._adaptSubmitButtonLabel(this._getPaymentMethodCode(radio));
    },
});
