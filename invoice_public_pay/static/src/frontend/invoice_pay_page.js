import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { formatCurrency } from "@web/core/currency";
import { _t } from "@web/core/l10n/translation";
import { rpc, RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { Interaction } from "@web/public/interaction";

import {
    decimalToUnits,
    parseAmountInput,
    unitsToDecimalString,
    unitsToInputText,
} from "./amounts";

const AMOUNT_ERRORS = {
    // The example is written as the customer's language writes numbers (120,50 in French).
    not_a_number: (decimalPlaces) =>
        _t(
            "Please enter an amount such as %s.",
            unitsToInputText(Math.round(120.5 * 10 ** decimalPlaces), decimalPlaces)
        ),
    too_precise: () => _t("This amount has too many decimals."),
    not_positive: () => _t("The amount must be more than zero."),
    exceeds_due: () => _t("This amount is more than the amount due."),
};

/**
 * One group of invoices (one company and currency) on the public pay page:
 * selection, amounts, running total, then Odoo's payment form for the choice.
 */
export class InvoicePayGroup extends Interaction {
    static selector = ".o_invoice_pay_group";

    dynamicContent = {
        ".o_invoice_pay_select": { "t-on-change": this.onSelectChange },
        ".o_invoice_pay_amount": {
            "t-on-input": this.onAmountInput,
            "t-on-change": this.onAmountChange,
        },
        ".o_invoice_pay_select_all": { "t-on-change": this.onSelectAllChange },
        ".o_invoice_pay_spread": { "t-on-click": this.locked(this.onSpreadClick, true) },
        ".o_invoice_pay_spread_amount": {
            "t-on-keydown": (ev) => ev.key === "Enter" && this.onSpreadClick(ev),
        },
        ".o_invoice_pay_submit": {
            "t-on-click": this.locked(this.onPayClick, true),
            "t-att-disabled": () => !this.canPay,
        },
        ".o_invoice_pay_total": { "t-out": () => this.formatUnits(this.totalUnits) },
        ".o_invoice_pay_error": {
            "t-out": () => this.error,
            "t-att-class": () => ({ "d-none": !this.error }),
        },
        ".o_invoice_pay_change": { "t-on-click": this.closeCheckout },
    };

    setup() {
        this.basePath = this.el.closest(".o_invoice_pay_list").dataset.basePath;
        this.groupKey = this.el.dataset.group;
        this.currencyId = Number(this.el.dataset.currencyId);
        this.decimalPlaces = Number(this.el.dataset.decimalPlaces);
        this.rows = [...this.el.querySelectorAll(".o_invoice_pay_row")].map((rowEl) => ({
            el: rowEl,
            invoiceId: Number(rowEl.dataset.invoiceId),
            dueUnits: decimalToUnits(rowEl.dataset.amountDue, this.decimalPlaces),
            blocked: Boolean(rowEl.dataset.blocked),
            checkbox: rowEl.querySelector(".o_invoice_pay_select"),
            input: rowEl.querySelector(".o_invoice_pay_amount"),
            units: null,
            error: null,
        }));
        this.error = "";
        this.checkoutEl = this.el.querySelector(".o_invoice_pay_checkout");
    }

    // #=== STATE ===#

    get payableRows() {
        return this.rows.filter((row) => !row.blocked);
    }

    get selectedRows() {
        return this.payableRows.filter((row) => row.checkbox.checked && row.units);
    }

    get totalUnits() {
        return this.selectedRows.reduce((total, row) => total + row.units, 0);
    }

    get allSelected() {
        return this.payableRows.length > 0 && this.payableRows.every((row) => row.checkbox.checked);
    }

    get canPay() {
        return this.totalUnits > 0 && this.rows.every((row) => !row.error);
    }

    formatUnits(units) {
        return formatCurrency(units / 10 ** this.decimalPlaces, this.currencyId, {
            digits: [69, this.decimalPlaces],
        });
    }

    getRow(el) {
        return this.rows.find((row) => row.el === el.closest(".o_invoice_pay_row"));
    }

    setRowAmount(row, units) {
        row.units = units;
        row.error = null;
        row.checkbox.checked = Boolean(units);
        row.input.value = units ? unitsToInputText(units, this.decimalPlaces) : "";
        row.input.classList.remove("is-invalid");
    }

    refreshError() {
        const rowWithError = this.rows.find((row) => row.error);
        this.error = rowWithError ? AMOUNT_ERRORS[rowWithError.error](this.decimalPlaces) : "";
        const selectAll = this.el.querySelector(".o_invoice_pay_select_all");
        if (selectAll) {
            selectAll.checked = this.allSelected;
        }
    }

    // #=== EVENT HANDLERS ===#

    onSelectChange(ev) {
        const row = this.getRow(ev.currentTarget);
        this.setRowAmount(row, ev.currentTarget.checked ? row.dueUnits : null);
        this.refreshError();
        this.closeCheckout();
    }

    onAmountInput(ev) {
        const row = this.getRow(ev.currentTarget);
        const { units, error } = parseAmountInput(ev.currentTarget.value, this.decimalPlaces);
        row.units = units;
        row.error = error || (units > row.dueUnits ? "exceeds_due" : null);
        row.checkbox.checked = Boolean(units) && !row.error;
        ev.currentTarget.classList.toggle("is-invalid", Boolean(row.error));
        this.refreshError();
        this.closeCheckout();
    }

    onAmountChange(ev) {
        // Show the amount as the customer's language writes it once they are done.
        const row = this.getRow(ev.currentTarget);
        if (row.units && !row.error) {
            ev.currentTarget.value = unitsToInputText(row.units, this.decimalPlaces);
        }
    }

    onSelectAllChange(ev) {
        for (const row of this.payableRows) {
            this.setRowAmount(row, ev.currentTarget.checked ? row.dueUnits : null);
        }
        this.refreshError();
        this.closeCheckout();
    }

    async onSpreadClick(ev) {
        ev.preventDefault();
        const input = this.el.querySelector(".o_invoice_pay_spread_amount");
        const { units, error } = parseAmountInput(input.value, this.decimalPlaces);
        if (error || !units) {
            this.error = AMOUNT_ERRORS[error || "not_positive"](this.decimalPlaces);
            return;
        }
        try {
            const result = await this.waitFor(
                rpc(`${this.basePath}/spread`, {
                    amount: unitsToDecimalString(units, this.decimalPlaces),
                    group: this.groupKey,
                })
            );
            const unitsById = new Map(
                result.allocations.map((line) => [
                    line.invoice_id,
                    decimalToUnits(line.amount, this.decimalPlaces),
                ])
            );
            for (const row of this.payableRows) {
                this.setRowAmount(row, unitsById.get(row.invoiceId) || null);
            }
            this.refreshError();
            this.closeCheckout();
        } catch (error) {
            this.showServerError(error);
        }
    }

    async onPayClick() {
        const allocations = this.selectedRows.map((row) => ({
            invoice_id: row.invoiceId,
            amount: unitsToDecimalString(row.units, this.decimalPlaces),
        }));
        try {
            const result = await this.waitFor(
                rpc(`${this.basePath}/payment-form`, { allocations })
            );
            await this.waitFor(this.openCheckout(result.html, allocations));
        } catch (error) {
            this.showServerError(error);
        }
    }

    // #=== CHECKOUT ===#

    async openCheckout(html, allocations) {
        this.closeCheckout();
        const content = document.createElement("div");
        content.innerHTML = html;
        const checkout = content.firstElementChild;
        // Scripts written into the page do not run: the providers' SDKs the form asks
        // for (Stripe.js) are loaded before its interactions start.
        const sdkUrls = [...checkout.querySelectorAll("script[src]")].map((script) => {
            script.remove();
            return script.src;
        });
        await Promise.all(sdkUrls.map(loadProviderSdk));
        this.checkoutEl.dataset.allocations = JSON.stringify(allocations);
        this.checkoutEl.dataset.basePath = this.basePath;
        this.checkoutEl.classList.remove("d-none");
        this.insert(checkout, this.checkoutEl);
        this.checkoutEl.scrollIntoView({ behavior: "smooth", block: "start" });
        this.checkoutEl.querySelector("input[name='o_payment_radio']")?.focus();
    }

    closeCheckout() {
        if (!this.checkoutEl || this.checkoutEl.classList.contains("d-none")) {
            return;
        }
        for (const child of [...this.checkoutEl.children]) {
            this.services["public.interactions"].stopInteractions(child);
            child.remove();
        }
        delete this.checkoutEl.dataset.allocations;
        delete this.checkoutEl.dataset.feeSignature;
        this.checkoutEl.classList.add("d-none");
    }

    showServerError(error) {
        if (error instanceof RPCError) {
            this.error = error.data.message;
        } else {
            throw error;
        }
    }
}

/**
 * One open credit on the page: the customer spreads it over invoices of its currency
 * (prefilled oldest first), confirms in a dialog, and the page shows the new balances.
 */
export class InvoicePayCredit extends Interaction {
    static selector = ".o_invoice_pay_credit";

    dynamicContent = {
        ".o_invoice_pay_credit_apply": { "t-on-click": this.onApplyClick },
        ".o_invoice_pay_credit_amount": { "t-on-input": this.onAmountInput },
        ".o_invoice_pay_credit_submit": {
            "t-on-click": this.locked(this.onSubmitClick, true),
            "t-att-disabled": () => !this.canApply,
        },
        ".o_invoice_pay_credit_total": { "t-out": () => this.formatUnits(this.totalUnits) },
        ".o_invoice_pay_credit_error": {
            "t-out": () => this.error,
            "t-att-class": () => ({ "d-none": !this.error }),
        },
    };

    setup() {
        this.basePath = this.el.closest(".o_invoice_pay_list").dataset.basePath;
        this.creditLineId = Number(this.el.dataset.creditLineId);
        this.currencyId = Number(this.el.dataset.currencyId);
        this.decimalPlaces = Number(this.el.dataset.decimalPlaces);
        this.openUnits = decimalToUnits(this.el.dataset.amountOpen, this.decimalPlaces);
        this.panel = this.el.querySelector(".o_invoice_pay_credit_panel");
        this.lines = [...this.el.querySelectorAll(".o_invoice_pay_credit_amount")].map((input) => ({
            input,
            invoiceId: Number(input.dataset.invoiceId),
            invoiceName: input.dataset.invoiceName,
            dueUnits: decimalToUnits(input.dataset.amountDue, this.decimalPlaces),
            units: null,
            error: null,
        }));
        this.error = "";
    }

    get totalUnits() {
        return this.lines.reduce((total, line) => total + (line.error ? 0 : line.units || 0), 0);
    }

    get canApply() {
        return (
            this.totalUnits > 0 &&
            this.totalUnits <= this.openUnits &&
            this.lines.every((line) => !line.error)
        );
    }

    formatUnits(units) {
        return formatCurrency(units / 10 ** this.decimalPlaces, this.currencyId, {
            digits: [69, this.decimalPlaces],
        });
    }

    refreshError() {
        const lineWithError = this.lines.find((line) => line.error);
        if (lineWithError) {
            this.error = AMOUNT_ERRORS[lineWithError.error](this.decimalPlaces);
        } else if (this.totalUnits > this.openUnits) {
            this.error = _t("The total is more than the credit's open amount.");
        } else {
            this.error = "";
        }
    }

    onApplyClick() {
        const opening = this.panel.classList.contains("d-none");
        this.panel.classList.toggle("d-none", !opening);
        if (opening && !this.totalUnits) {
            // Oldest invoice first, as far as the credit goes: the customer may change it.
            let left = this.openUnits;
            for (const line of this.lines) {
                const units = Math.min(left, line.dueUnits);
                line.units = units || null;
                line.error = null;
                line.input.value = units ? unitsToInputText(units, this.decimalPlaces) : "";
                left -= units;
            }
            this.refreshError();
        }
    }

    onAmountInput(ev) {
        const line = this.lines.find((candidate) => candidate.input === ev.currentTarget);
        const { units, error } = parseAmountInput(ev.currentTarget.value, this.decimalPlaces);
        line.units = units;
        line.error = error || (units > line.dueUnits ? "exceeds_due" : null);
        ev.currentTarget.classList.toggle("is-invalid", Boolean(line.error));
        this.refreshError();
    }

    async onSubmitClick() {
        const chosen = this.lines.filter((line) => line.units);
        const credits = chosen.map((line) => ({
            credit_line_id: this.creditLineId,
            invoice_id: line.invoiceId,
            amount: unitsToDecimalString(line.units, this.decimalPlaces),
        }));
        const name = this.el.querySelector(".o_invoice_pay_credit_name").textContent;
        const confirmed = await this.waitFor(
            new Promise((resolve) => {
                this.services.dialog.add(
                    ConfirmationDialog,
                    {
                        title: _t("Apply this credit?"),
                        body: _t(
                            "%(amount)s of %(credit)s will be applied to %(invoices)s. This cannot be undone online.",
                            {
                                amount: this.formatUnits(this.totalUnits),
                                credit: name,
                                invoices: chosen.map((line) => line.invoiceName).join(", "),
                            }
                        ),
                        confirmLabel: _t("Apply credit"),
                        confirm: () => resolve(true),
                        cancel: () => resolve(false),
                    },
                    { onClose: () => resolve(false) }
                );
            })
        );
        if (!confirmed) {
            return;
        }
        try {
            await this.waitFor(rpc(`${this.basePath}/apply-credits`, { credits }));
            window.location.reload();
        } catch (error) {
            if (error instanceof RPCError) {
                this.error = error.data.message;
            } else {
                throw error;
            }
        }
    }
}

/**
 * "Question about this invoice": a short message posted on the invoice for the business.
 */
export class InvoicePayQuestion extends Interaction {
    static selector = ".o_invoice_pay_question";

    dynamicContent = {
        ".o_invoice_pay_question_open": { "t-on-click": this.onOpenClick },
        ".o_invoice_pay_question_send": { "t-on-click": this.locked(this.onSendClick, true) },
        ".o_invoice_pay_question_error": {
            "t-out": () => this.error,
            "t-att-class": () => ({ "d-none": !this.error }),
        },
    };

    setup() {
        this.basePath = this.el.closest(".o_invoice_pay_list").dataset.basePath;
        this.invoiceId = Number(this.el.dataset.invoiceId);
        this.form = this.el.querySelector(".o_invoice_pay_question_form");
        this.error = "";
    }

    onOpenClick() {
        this.form.classList.toggle("d-none");
        if (!this.form.classList.contains("d-none")) {
            this.form.querySelector("textarea").focus();
        }
    }

    async onSendClick() {
        const textarea = this.form.querySelector("textarea");
        try {
            const result = await this.waitFor(
                rpc(`${this.basePath}/question`, {
                    invoice_id: this.invoiceId,
                    message: textarea.value,
                })
            );
            this.error = "";
            textarea.value = "";
            this.form.classList.add("d-none");
            this.el.querySelector(".o_invoice_pay_question_date").textContent = result.sent_on;
            this.el.querySelector(".o_invoice_pay_question_sent").classList.remove("d-none");
        } catch (error) {
            if (error instanceof RPCError) {
                this.error = error.data.message;
            } else {
                throw error;
            }
        }
    }
}

/**
 * Load a payment provider's SDK once, in one attempt; resolve whether or not it loaded
 * (the other payment methods of the form must work without it).
 *
 * @param {string} url
 * @return {Promise<void>}
 */
function loadProviderSdk(url) {
    const loaded = [...document.scripts].some((script) => script.src === url);
    if (loaded) {
        return Promise.resolve();
    }
    return new Promise((resolve) => {
        const script = document.createElement("script");
        script.src = url;
        script.addEventListener("load", () => resolve());
        script.addEventListener("error", () => resolve());
        document.head.append(script);
    });
}

/**
 * The dialog shown when the customer comes back from paying.
 */
export class InvoicePayResult extends Interaction {
    static selector = ".o_invoice_pay_result";

    start() {
        const modal = new window.Modal(this.el);
        modal.show();
        this.registerCleanup(() => modal.dispose());
    }
}

registry.category("public.interactions").add("invoice_public_pay.group", InvoicePayGroup);
registry.category("public.interactions").add("invoice_public_pay.result", InvoicePayResult);
registry.category("public.interactions").add("invoice_public_pay.credit", InvoicePayCredit);
registry.category("public.interactions").add("invoice_public_pay.question", InvoicePayQuestion);
