import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { formatCurrency } from "@web/core/currency";
import { localization } from "@web/core/l10n/localization";
import { _t } from "@web/core/l10n/translation";
import { rpc, RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { Interaction } from "@web/public/interaction";

import {
    decimalToUnits,
    parseAmountInput,
    unitsToDecimalString,
    unitsToInputText,
} from "./amounts";

// Rows drawn per request of /rows (the page draws as many at first).
const ROWS_PAGE_SIZE = 50;

const AMOUNT_ERRORS = {
    // The example is written as the customer's language writes numbers (120,50 in French).
    not_a_number: (decimalPlaces) =>
        _t(
            "Please enter an amount such as %s.",
            unitsToInputText(Math.round(120.5 * 10 ** decimalPlaces), decimalPlaces)
        ),
    // "1,5" on a page writing "1.50": never read as 15, the customer is told how to write it.
    decimal_separator: (decimalPlaces) =>
        _t("Write the decimals after “%(point)s”, as in %(example)s.", {
            point: localization.decimalPoint || ".",
            example: unitsToInputText(Math.round(1.5 * 10 ** decimalPlaces), decimalPlaces),
        }),
    too_precise: () => _t("This amount has too many decimals."),
    not_positive: () => _t("The amount must be more than zero."),
    exceeds_due: () => _t("This amount is more than the amount due."),
};

/**
 * The message the server gave for a refused request, to show on the page; other errors
 * (a bug, a lost connection) go on to Odoo's own handling.
 *
 * @param {Error} error
 * @return {string}
 */
function serverErrorMessage(error) {
    if (error instanceof RPCError) {
        return error.data.message;
    }
    throw error;
}

/**
 * One group of invoices (one company and currency) on the public pay page:
 * selection, amounts, running total, then Odoo's payment form for the choice.
 *
 * The page draws the oldest rows of the group and loads others on demand
 * (search, filter, sort, "Load more"); the selection lives here, not in the rows,
 * so it covers invoices not drawn and survives paging and searching. "Select all"
 * is sent as such (``select_all``: the group but the invoices left out): the
 * server, which knows every invoice of the group, lists them.
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
        ".o_invoice_pay_change": { "t-on-click": this.onChangeSelection },
        ".o_invoice_pay_find": { "t-on-submit": this.onFindSubmit },
        ".o_invoice_pay_search": { "t-on-input": this.debounced(this.reloadRows, 350) },
        ".o_invoice_pay_filter": { "t-on-change": this.reloadRows },
        ".o_invoice_pay_sort": { "t-on-change": this.reloadRows },
        ".o_invoice_pay_more": {
            "t-on-click": this.locked(this.onMoreClick, true),
            "t-att-class": () => ({ "d-none": !this.more }),
            // Not while other rows are coming: they would be appended to the wrong list.
            "t-att-disabled": () => this.loadingRows,
        },
        ".o_invoice_pay_shown": { "t-out": () => this.shownLabel },
    };

    setup() {
        this.basePath = this.el.closest(".o_invoice_pay_list").dataset.basePath;
        const data = this.el.dataset;
        this.groupKey = data.group;
        this.currencyId = Number(data.currencyId);
        this.decimalPlaces = Number(data.decimalPlaces);
        // The whole group, drawn or not.
        this.payableCount = Number(data.payableCount);
        this.payableUnits = decimalToUnits(data.payableAmount, this.decimalPlaces);
        // Invoices drawn so far (now or earlier): what each is due, whether it is on hold.
        this.known = new Map();
        // Amounts the customer chose per invoice: { units, error, text }.
        this.amounts = new Map();
        // "Select all": every payable invoice of the group in full, but those left out.
        this.selectAll = false;
        this.excepted = new Set();
        // Invoices the customer confirmed paying although a payment of theirs is processing.
        this.payAgain = new Set();
        this.listEl = this.el.querySelector(".o_invoice_pay_rows");
        const rowEls = this.rowEls();
        this.learnRows(rowEls);
        this.matchCount = Number(data.count);
        this.more = rowEls.length < this.matchCount;
        this.rowsRequest = 0;
        this.loadingRows = false;
        this.error = "";
        this.checkoutEl = this.el.querySelector(".o_invoice_pay_checkout");
    }

    // #=== STATE ===#

    rowEls() {
        return [...this.listEl.querySelectorAll(".o_invoice_pay_row")];
    }

    learnRows(rowEls) {
        for (const rowEl of rowEls) {
            this.known.set(Number(rowEl.dataset.invoiceId), {
                // What is payable now: a processing payment's share is left out.
                dueUnits: decimalToUnits(rowEl.dataset.amountDue, this.decimalPlaces),
                blocked: Boolean(rowEl.dataset.blocked),
                processingUnits: decimalToUnits(
                    rowEl.dataset.amountProcessing || 0,
                    this.decimalPlaces
                ),
                // Wholly covered by a processing payment: "select all" leaves it out.
                inSelectAll: !rowEl.dataset.processingFull,
            });
        }
    }

    /**
     * What the customer pays on one invoice: { units, error, text }, units null when nothing.
     *
     * @param {number} invoiceId
     */
    choiceOf(invoiceId) {
        const invoice = this.known.get(invoiceId);
        if (!invoice || invoice.blocked) {
            return { units: null, error: null };
        }
        if (this.amounts.has(invoiceId)) {
            return this.amounts.get(invoiceId);
        }
        if (this.selectAll && invoice.inSelectAll && !this.excepted.has(invoiceId)) {
            return { units: invoice.dueUnits, error: null };
        }
        return { units: null, error: null };
    }

    get totalUnits() {
        let total = 0;
        if (this.selectAll) {
            total = this.payableUnits;
            // Left out, or paid with another amount: their amount due is not in the total.
            for (const invoiceId of [...this.excepted, ...this.amounts.keys()]) {
                const invoice = this.known.get(invoiceId);
                total -= invoice?.inSelectAll ? invoice.dueUnits : 0;
            }
        }
        for (const choice of this.amounts.values()) {
            total += choice.error ? 0 : choice.units || 0;
        }
        return total;
    }

    /**
     * Every payable invoice of the group paid in full: no amount exceeds its invoice's, so
     * the total reaches the group's amount due only then (spread amounts included).
     */
    get allFull() {
        return this.payableUnits > 0 && !this.firstError && this.totalUnits === this.payableUnits;
    }

    get firstError() {
        return [...this.amounts.values()].find((choice) => choice.error)?.error;
    }

    get canPay() {
        return this.totalUnits > 0 && !this.firstError;
    }

    get shownLabel() {
        const count = (value) => formatFloat(value, { digits: [69, 0] });
        return _t("Showing %(shown)s of %(count)s", {
            shown: count(this.rowEls().length),
            count: count(this.matchCount),
        });
    }

    /** The choice as the routes take it: amounts per invoice, and "select all" if chosen. */
    get selection() {
        const params = {
            allocations: [...this.amounts]
                .filter(([, choice]) => choice.units && !choice.error)
                .map(([invoiceId, choice]) => ({
                    invoice_id: invoiceId,
                    amount: unitsToDecimalString(choice.units, this.decimalPlaces),
                })),
        };
        if (this.selectAll) {
            params.select_all = { group: this.groupKey, except: [...this.excepted] };
        }
        const payAgain = params.allocations
            .map((line) => line.invoice_id)
            .filter((invoiceId) => this.payAgain.has(invoiceId));
        if (payAgain.length) {
            params.pay_again = payAgain;
        }
        return params;
    }

    formatUnits(units) {
        return formatCurrency(units / 10 ** this.decimalPlaces, this.currencyId, {
            digits: [69, this.decimalPlaces],
        });
    }

    getRowId(el) {
        return Number(el.closest(".o_invoice_pay_row").dataset.invoiceId);
    }

    /** Show the choice of a drawn row: its box, its amount, its error next to the field. */
    drawRow(rowEl) {
        const choice = this.choiceOf(Number(rowEl.dataset.invoiceId));
        const input = rowEl.querySelector(".o_invoice_pay_amount");
        if (choice.error) {
            input.value = choice.text;
        } else {
            input.value = choice.units ? unitsToInputText(choice.units, this.decimalPlaces) : "";
        }
        this.markRow(rowEl, choice);
    }

    /**
     * The row's box and error mark: an invalid amount is marked (``aria-invalid``) and
     * linked to its message, shown under the field.
     */
    markRow(rowEl, choice) {
        const input = rowEl.querySelector(".o_invoice_pay_amount");
        const feedback = rowEl.querySelector(".o_invoice_pay_amount_error");
        rowEl.querySelector(".o_invoice_pay_select").checked =
            Boolean(choice.units) && !choice.error;
        input.classList.toggle("is-invalid", Boolean(choice.error));
        if (choice.error) {
            feedback.textContent = AMOUNT_ERRORS[choice.error](this.decimalPlaces);
            input.setAttribute("aria-invalid", "true");
            input.setAttribute("aria-describedby", feedback.id);
        } else {
            feedback.textContent = "";
            input.removeAttribute("aria-invalid");
            input.removeAttribute("aria-describedby");
        }
    }

    refresh() {
        const error = this.firstError;
        this.error = error ? AMOUNT_ERRORS[error](this.decimalPlaces) : "";
        const selectAll = this.el.querySelector(".o_invoice_pay_select_all");
        if (selectAll) {
            const allFull = this.allFull;
            selectAll.checked = allFull;
            // Mixed: some invoices chosen, or some amounts partial (or not valid yet).
            selectAll.indeterminate = !allFull && (this.totalUnits > 0 || Boolean(error));
        }
    }

    /**
     * Leave the choice of one invoice to "select all" or to nothing: drop its own amount.
     *
     * @param {number} invoiceId
     * @param {boolean} selected
     */
    setSelected(invoiceId, selected) {
        this.amounts.delete(invoiceId);
        if (this.selectAll && this.known.get(invoiceId).inSelectAll) {
            if (selected) {
                this.excepted.delete(invoiceId);
            } else {
                this.excepted.add(invoiceId);
            }
        } else if (selected) {
            this.amounts.set(invoiceId, { units: this.known.get(invoiceId).dueUnits, error: null });
        }
    }

    // #=== EVENT HANDLERS ===#

    async onSelectChange(ev) {
        const checkbox = ev.currentTarget;
        const rowEl = checkbox.closest(".o_invoice_pay_row");
        const invoiceId = this.getRowId(rowEl);
        const invoice = this.known.get(invoiceId);
        if (checkbox.checked && invoice.processingUnits) {
            // A payment of this invoice is being processed: paying it again is asked first.
            checkbox.checked = false;
            const confirmed = await this.waitFor(this.confirmPayingAgain(rowEl, invoice));
            if (!confirmed) {
                return;
            }
            checkbox.checked = true;
            this.payAgain.add(invoiceId);
        }
        this.setSelected(invoiceId, checkbox.checked);
        this.drawRow(rowEl);
        this.refresh();
        this.closeCheckout();
    }

    /**
     * @param {HTMLElement} rowEl
     * @param {Object} invoice
     * @return {Promise<boolean>} whether the customer wants to pay it again
     */
    confirmPayingAgain(rowEl, invoice) {
        return new Promise((resolve) => {
            this.services.dialog.add(
                ConfirmationDialog,
                {
                    title: _t("Pay this invoice again?"),
                    body: _t(
                        "A payment of %(amount)s for %(invoice)s is being processed. Pay %(due)s more?",
                        {
                            amount: this.formatUnits(invoice.processingUnits),
                            invoice: rowEl.dataset.invoiceName,
                            due: this.formatUnits(invoice.dueUnits),
                        }
                    ),
                    confirmLabel: _t("Pay it"),
                    confirm: () => resolve(true),
                    cancel: () => resolve(false),
                },
                { onClose: () => resolve(false) }
            );
        });
    }

    onAmountInput(ev) {
        const invoiceId = this.getRowId(ev.currentTarget);
        const text = ev.currentTarget.value;
        const { units, error } = parseAmountInput(text, this.decimalPlaces);
        if (!units && !error) {
            this.setSelected(invoiceId, false);
        } else {
            const invoice = this.known.get(invoiceId);
            this.excepted.delete(invoiceId);
            this.amounts.set(invoiceId, {
                units,
                error: error || (units > invoice.dueUnits ? "exceeds_due" : null),
                text,
            });
        }
        const choice = this.choiceOf(invoiceId);
        this.markRow(ev.currentTarget.closest(".o_invoice_pay_row"), choice);
        this.refresh();
        this.closeCheckout();
        if (choice.error) {
            this.revealAmountError(ev.currentTarget);
        }
    }

    onAmountChange(ev) {
        // Show the amount as the customer's language writes it once they are done.
        const choice = this.choiceOf(this.getRowId(ev.currentTarget));
        if (choice.units && !choice.error) {
            ev.currentTarget.value = unitsToInputText(choice.units, this.decimalPlaces);
        } else if (choice.error) {
            this.revealAmountError(ev.currentTarget);
        }
    }

    /**
     * Bring an amount field and its message into view when the message is hidden: on a
     * phone, the Pay bar at the bottom of the screen (and the keyboard) cover the rows.
     *
     * @param {HTMLInputElement} input
     */
    revealAmountError(input) {
        const message = input
            .closest(".o_invoice_pay_row")
            .querySelector(".o_invoice_pay_amount_error");
        const payBar = this.el.querySelector(".o_invoice_pay_pay_bar");
        // What the keyboard leaves of the screen, where browsers report it.
        const viewport = window.visualViewport;
        const screenBottom = viewport ? viewport.offsetTop + viewport.height : window.innerHeight;
        const bottom = Math.min(payBar.getBoundingClientRect().top, screenBottom);
        if (
            input.getBoundingClientRect().top < 0 ||
            message.getBoundingClientRect().bottom > bottom
        ) {
            input.scrollIntoView({ behavior: "smooth", block: "center" });
        }
    }

    onSelectAllChange() {
        // Mixed or nothing: every invoice in full. All in full: nothing.
        const payAll = !this.allFull;
        this.amounts.clear();
        this.excepted.clear();
        this.selectAll = payAll;
        for (const rowEl of this.rowEls()) {
            this.drawRow(rowEl);
        }
        this.refresh();
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
            this.selectAll = false;
            this.excepted.clear();
            this.amounts = new Map(
                result.allocations.map((line) => [
                    line.invoice_id,
                    { units: decimalToUnits(line.amount, this.decimalPlaces), error: null },
                ])
            );
            for (const rowEl of this.rowEls()) {
                this.drawRow(rowEl);
            }
            this.refresh();
            this.closeCheckout();
        } catch (error) {
            this.showServerError(error);
        }
    }

    async onPayClick() {
        const selection = this.selection;
        try {
            const result = await this.waitFor(rpc(`${this.basePath}/payment-form`, selection));
            await this.waitFor(
                this.openCheckout(result.html, selection, result.selection_signature)
            );
            this.showFeeBadges(result.fee_badges || {});
        } catch (error) {
            this.showServerError(error);
        }
    }

    // #=== ROWS: SEARCH, FILTER, SORT, MORE ===#

    onFindSubmit(ev) {
        ev.preventDefault();
        return this.reloadRows();
    }

    /** Draw the first rows that match the search, filter and sort (the choice stays). */
    reloadRows() {
        return this.loadRows(0);
    }

    onMoreClick() {
        return this.loadRows(this.rowEls().length);
    }

    async loadRows(offset) {
        const request = ++this.rowsRequest;
        const findEl = this.el.querySelector(".o_invoice_pay_find");
        this.loadingRows = true;
        let result;
        try {
            result = await this.waitFor(
                rpc(`${this.basePath}/rows`, {
                    group: this.groupKey,
                    offset,
                    limit: ROWS_PAGE_SIZE,
                    search: findEl?.querySelector(".o_invoice_pay_search").value || "",
                    filter: findEl?.querySelector(".o_invoice_pay_filter").value || "",
                    sort: findEl?.querySelector(".o_invoice_pay_sort").value || "due_date",
                })
            );
        } catch (error) {
            if (request === this.rowsRequest) {
                this.loadingRows = false;
                this.showServerError(error);
            }
            return;
        }
        if (request !== this.rowsRequest) {
            return; // the customer typed on: a later answer draws the rows
        }
        this.loadingRows = false;
        if (!offset) {
            for (const rowEl of this.rowEls()) {
                this.services["public.interactions"].stopInteractions(rowEl);
                rowEl.remove();
            }
        }
        const template = document.createElement("template");
        template.innerHTML = result.html;
        const rowEls = [...template.content.children];
        this.learnRows(rowEls);
        this.listEl.append(...rowEls);
        for (const rowEl of rowEls) {
            this.drawRow(rowEl);
            this.services["public.interactions"].startInteractions(rowEl);
        }
        this.matchCount = result.count;
        this.more = result.more;
        // The group's figures may have changed since the page was drawn (a payment elsewhere).
        this.payableCount = result.totals.payable_count;
        this.payableUnits = decimalToUnits(result.totals.payable_amount, this.decimalPlaces);
        this.refresh();
        if (offset && rowEls.length) {
            // Focus on the first row loaded (its print link when it is on hold).
            rowEls[0]
                .querySelector(
                    ".o_invoice_pay_select:enabled, .o_invoice_pay_amount:enabled, .o_invoice_pay_print"
                )
                ?.focus();
        }
    }

    // #=== CHECKOUT ===#

    async openCheckout(html, selection, selectionSignature) {
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
        this.checkoutEl.dataset.allocations = JSON.stringify(selection.allocations);
        // The seal of the invoices shown: with "select all", the server refuses others
        // (an invoice added, paid or put on hold since).
        this.checkoutEl.dataset.selectionSignature = selectionSignature;
        if (selection.select_all) {
            this.checkoutEl.dataset.selectAll = JSON.stringify(selection.select_all);
        }
        if (selection.pay_again) {
            this.checkoutEl.dataset.payAgain = JSON.stringify(selection.pay_again);
        }
        this.checkoutEl.dataset.basePath = this.basePath;
        this.checkoutEl.classList.remove("d-none");
        // The choice is now summarised above the form: one Pay button, the form's.
        this.el.classList.add("o_invoice_pay_checking_out");
        this.insert(checkout, this.checkoutEl);
        this.checkoutEl.scrollIntoView({ behavior: "smooth", block: "start" });
        this.checkoutEl.querySelector("input[name='o_payment_radio']")?.focus();
    }

    /**
     * Each payment method's fee next to its name, before the customer chooses one.
     *
     * @param {Object} badges the fee in a few words by "<provider id>-<method id>"
     */
    showFeeBadges(badges) {
        const radios = this.checkoutEl.querySelectorAll(
            "input[name='o_payment_radio'][data-payment-option-type='payment_method']"
        );
        for (const radio of radios) {
            const text = badges[`${radio.dataset.providerId}-${radio.dataset.paymentOptionId}`];
            const label = this.checkoutEl.querySelector(`label[for='${radio.id}']`);
            if (text && label) {
                const badge = document.createElement("span");
                badge.className =
                    "badge text-bg-light border ms-2 fw-normal o_invoice_pay_fee_badge";
                badge.textContent = text;
                label.append(badge);
            }
        }
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
        delete this.checkoutEl.dataset.selectAll;
        delete this.checkoutEl.dataset.payAgain;
        delete this.checkoutEl.dataset.feeSignature;
        delete this.checkoutEl.dataset.selectionSignature;
        this.checkoutEl.classList.add("d-none");
        this.el.classList.remove("o_invoice_pay_checking_out");
    }

    /** "Change selection": back to the rows, the choice kept, focus on Pay. */
    onChangeSelection() {
        this.closeCheckout();
        this.el.scrollIntoView({ behavior: "smooth", block: "start" });
        this.el.querySelector(".o_invoice_pay_submit").focus();
    }

    showServerError(error) {
        this.error = serverErrorMessage(error);
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
            this.error = serverErrorMessage(error);
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
        this.form = null;
        this.error = "";
    }

    onOpenClick() {
        if (!this.form) {
            // The page's one model of the form, copied under this row.
            const model = document.querySelector(".o_invoice_pay_question_model");
            this.form = model.firstElementChild.cloneNode(true);
            const inputId = `o_invoice_pay_question_${this.invoiceId}`;
            this.form.querySelector("label").htmlFor = inputId;
            this.form.querySelector("textarea").id = inputId;
            this.insert(this.form, this.el);
        } else {
            this.form.classList.toggle("d-none");
        }
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
            this.error = serverErrorMessage(error);
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
        this.addListener(this.el, "hidden.bs.modal", this.onHidden);
        modal.show();
        this.registerCleanup(() => modal.dispose());
    }

    /**
     * Closed, the dialog opened with the page would leave the focus nowhere (on the body):
     * the list's heading takes it.
     */
    onHidden() {
        const heading = document.querySelector(".o_invoice_pay_list h1");
        if (heading) {
            heading.tabIndex = -1;
            heading.focus();
        }
    }
}

registry.category("public.interactions").add("invoice_public_pay.group", InvoicePayGroup);
registry.category("public.interactions").add("invoice_public_pay.result", InvoicePayResult);
registry.category("public.interactions").add("invoice_public_pay.credit", InvoicePayCredit);
registry.category("public.interactions").add("invoice_public_pay.question", InvoicePayQuestion);
