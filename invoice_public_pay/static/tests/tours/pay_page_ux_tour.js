import { registry } from "@web/core/registry";

import { closeResultDialog, payAndComeBack } from "./pay_page_steps";

/**
 * The pay page as a customer uses it, on a phone and at a desk (the Python test runs
 * this tour at both sizes): readable text and tap targets, a payment still processing,
 * "Select all", an amount written the wrong way, one Pay button, then paying and what
 * the page shows afterwards.
 */

// WCAG 2.2: 1.4.3 (contrast of text, AA) and 2.5.8 (target size, minimum).
const MIN_CONTRAST = 4.5;
const MIN_TARGET_SIZE = 24;

/**
 * A computed CSS colour as [red, green, blue, alpha] (0-255, alpha 0-1).
 *
 * @param {string} color
 * @return {number[]}
 */
function parseColor(color) {
    const rgb = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(color);
    if (rgb) {
        return [
            Number(rgb[1]),
            Number(rgb[2]),
            Number(rgb[3]),
            rgb[4] === undefined ? 1 : Number(rgb[4]),
        ];
    }
    const srgb = /^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?\)$/.exec(color);
    if (srgb) {
        return [
            Number(srgb[1]) * 255,
            Number(srgb[2]) * 255,
            Number(srgb[3]) * 255,
            srgb[4] === undefined ? 1 : Number(srgb[4]),
        ];
    }
    // Any other notation (oklch, lab, ...): the browser draws it.
    const context = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    context.clearRect(0, 0, 1, 1);
    context.fillStyle = color;
    context.fillRect(0, 0, 1, 1);
    const [red, green, blue, alpha] = context.getImageData(0, 0, 1, 1).data;
    return [red, green, blue, alpha / 255];
}

/** ``top`` (with its alpha) painted over the opaque ``bottom``. */
function blend(top, bottom) {
    const alpha = top[3];
    return [0, 1, 2].map((index) => top[index] * alpha + bottom[index] * (1 - alpha)).concat(1);
}

/** WCAG relative luminance of an opaque colour. */
function luminance(color) {
    const [red, green, blue] = color.slice(0, 3).map((channel) => {
        const value = channel / 255;
        return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

function contrastRatio(first, second) {
    const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
    return (light + 0.05) / (dark + 0.05);
}

/** The opaque colour behind an element: its backgrounds and its ancestors', over white. */
function effectiveBackground(element) {
    const layers = [];
    for (
        let node = element;
        node && node.nodeType === Node.ELEMENT_NODE;
        node = node.parentElement
    ) {
        const background = parseColor(getComputedStyle(node).backgroundColor);
        if (background[3] > 0) {
            layers.push(background);
            if (background[3] >= 1) {
                break;
            }
        }
    }
    return layers.reduceRight((below, layer) => blend(layer, below), [255, 255, 255, 1]);
}

function isShown(element) {
    const rect = element.getBoundingClientRect();
    return (
        rect.width > 1 &&
        rect.height > 1 &&
        element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) &&
        !element.closest(".visually-hidden, .d-none")
    );
}

function describe(element) {
    const classes = [...element.classList].filter(
        (name) =>
            name.startsWith("o_") ||
            name.startsWith("btn") ||
            name.startsWith("text-") ||
            name.startsWith("badge")
    );
    return `${element.tagName.toLowerCase()}${classes.map((name) => `.${name}`).join("")}`;
}

/**
 * Every shown text under ``root`` that reads below 4.5:1 against what is behind it.
 * Disabled controls are exempt (WCAG 1.4.3: inactive user interface components).
 *
 * @param {HTMLElement} root
 * @return {string[]}
 */
function lowContrastTexts(root) {
    const offenders = [];
    for (const element of [root, ...root.querySelectorAll("*")]) {
        const text = [...element.childNodes]
            .filter((node) => node.nodeType === Node.TEXT_NODE)
            .map((node) => node.textContent)
            .join("")
            .trim();
        if (
            !text ||
            !isShown(element) ||
            element.closest(":disabled, .disabled, [aria-disabled='true']")
        ) {
            continue;
        }
        const background = effectiveBackground(element);
        const color = blend(parseColor(getComputedStyle(element).color), background);
        const ratio = contrastRatio(color, background);
        if (ratio < MIN_CONTRAST) {
            offenders.push(
                `${describe(element)} "${text.slice(0, 40)}" ${ratio.toFixed(2)}:1 (${getComputedStyle(element).color} on rgb(${background.slice(0, 3).map(Math.round).join(", ")}))`
            );
        }
    }
    return offenders;
}

/**
 * Every shown tap target under ``root`` smaller than 24x24 CSS pixels: checkboxes,
 * radios, buttons, links in rows. Links inside a sentence are exempt (WCAG 2.5.8: inline).
 *
 * @param {HTMLElement} root
 * @return {string[]}
 */
function smallTargets(root) {
    const targets = root.querySelectorAll(
        "input[type='checkbox'], input[type='radio'], button, select, a.btn, .list-group-item a, .o_invoice_pay_row a, [role='button']"
    );
    const offenders = [];
    for (const target of targets) {
        if (!isShown(target)) {
            continue;
        }
        const inSentence =
            getComputedStyle(target).display === "inline" &&
            [...target.parentElement.childNodes].some(
                (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim()
            );
        const { width, height } = target.getBoundingClientRect();
        const undersized = width < MIN_TARGET_SIZE || height < MIN_TARGET_SIZE;
        if (!inSentence && undersized && !reachedAround(target)) {
            offenders.push(
                `${describe(target)} "${target.textContent.trim().slice(0, 30)}" ${width.toFixed(1)}x${height.toFixed(1)}`
            );
        }
    }
    return offenders;
}

/**
 * Whether a tap anywhere in a 24x24 px square centred on ``target`` reaches it or one of
 * its labels: Odoo's payment form draws small radios but makes the whole option clickable.
 *
 * @param {HTMLElement} target
 * @return {boolean}
 */
function reachedAround(target) {
    const [scrollX, scrollY] = [window.scrollX, window.scrollY];
    target.scrollIntoView({ block: "center", inline: "center" });
    const rect = target.getBoundingClientRect();
    const [x, y] = [rect.left + rect.width / 2, rect.top + rect.height / 2];
    const half = MIN_TARGET_SIZE / 2 - 0.5;
    const reaches = (element) =>
        element &&
        (target.contains(element) ||
            [...(target.labels || [])].some((label) => label.contains(element)));
    const reached = [
        [-half, -half],
        [half, -half],
        [-half, half],
        [half, half],
    ].every(([dx, dy]) => reaches(document.elementFromPoint(x + dx, y + dy)));
    window.scrollTo(scrollX, scrollY);
    return reached;
}

/**
 * Shown elements that stick out of the window's width (the customer would scroll sideways).
 *
 * @param {HTMLElement} root
 * @return {string[]}
 */
function widerThanWindow(root) {
    const width = document.documentElement.clientWidth;
    return (
        [...root.querySelectorAll("*")]
            .filter(
                (element) => isShown(element) && element.getBoundingClientRect().right > width + 0.5
            )
            // The outermost ones: what pushes the others out.
            .filter((element) => element.parentElement.getBoundingClientRect().right <= width + 0.5)
            .map(
                (element) =>
                    `${describe(element)} "${plainText(element).slice(0, 30)}" right at ${element.getBoundingClientRect().right.toFixed(1)} of ${width}`
            )
    );
}

/**
 * A step checking the text contrast and tap targets of what ``trigger`` finds.
 *
 * @param {string} content
 * @param {string} trigger
 */
function checkReadableAndTappable(content, trigger) {
    return {
        content: `${content}: text contrast at least 4.5:1, tap targets at least 24x24 px, no sideways scrolling`,
        trigger,
        run() {
            const lowContrast = lowContrastTexts(this.anchor);
            const small = smallTargets(this.anchor);
            const wide = widerThanWindow(document.body);
            if (lowContrast.length || small.length || wide.length) {
                throw new Error(
                    [
                        ...lowContrast.map((offender) => `Contrast below 4.5:1: ${offender}`),
                        ...small.map((offender) => `Target below 24x24 px: ${offender}`),
                        ...wide.map((offender) => `Wider than the window: ${offender}`),
                    ].join("\n")
                );
            }
        },
    };
}

/** The text of an element with its non-breaking spaces as plain ones. */
function plainText(element) {
    return element.textContent.replace(/\s+/g, " ").trim();
}

/** Whether the element is within the window, above the sticky bar (if any) that covers it. */
function inViewport(element) {
    const rect = element.getBoundingClientRect();
    const payBar = document.querySelector(".o_invoice_pay_pay_bar");
    const bottom =
        payBar && isShown(payBar) ? payBar.getBoundingClientRect().top : window.innerHeight;
    return rect.top >= 0 && rect.bottom <= Math.min(bottom, window.innerHeight);
}

function pause(milliseconds) {
    return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

const PROCESSING_ROW = ".o_invoice_pay_row[data-amount-processing]";
const MID_ROW = ".o_invoice_pay_row:not([data-amount-processing]):first";

registry.category("web_tour.tours").add("invoice_public_pay_pay_page_ux", {
    steps: () => [
        {
            content: "The page is loaded: nothing chosen, Pay disabled",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('0.00')) .o_invoice_pay_submit:disabled",
        },
        checkReadableAndTappable("The invoice list", ".o_invoice_pay_page"),
        {
            content: "Open the question form of the last invoice",
            trigger: ".o_invoice_pay_row:last .o_invoice_pay_question_open",
            run: "click",
        },
        checkReadableAndTappable(
            "The question form",
            ".o_invoice_pay_row:last:has(.o_invoice_pay_question_text:focus)"
        ),
        {
            content: "Close it",
            trigger: ".o_invoice_pay_row:last .o_invoice_pay_question_open",
            run: "click",
        },
        {
            content: "The question form is closed",
            trigger:
                ".o_invoice_pay_row:last .o_invoice_pay_question:has(.o_invoice_pay_question_form.d-none)",
        },
        // A payment still processing.
        {
            content:
                "The invoice with a payment processing says so; what is payable now leaves it out",
            trigger: `${PROCESSING_ROW} .o_invoice_pay_processing:contains('Payment processing')`,
            run() {
                const row = this.anchor.closest(".o_invoice_pay_row");
                if (plainText(this.anchor) !== "Payment processing: $ 100.00") {
                    throw new Error(`Unexpected processing label: ${plainText(this.anchor)}`);
                }
                if (
                    Number(row.dataset.amountDue) !== 300 ||
                    Number(row.dataset.amountProcessing) !== 100
                ) {
                    throw new Error(
                        `Payable ${row.dataset.amountDue}, processing ${row.dataset.amountProcessing}`
                    );
                }
            },
        },
        {
            content: "Tick the invoice whose payment is processing",
            trigger: `${PROCESSING_ROW} .o_invoice_pay_select`,
            run: "click",
        },
        {
            content: "Paying it again is asked first, with the amounts",
            trigger:
                ".modal:contains('Pay this invoice again?'):contains('A payment of $ 100.00'):contains('Pay $ 300.00 more?') .modal-footer button:contains('Cancel')",
            run: "click",
        },
        {
            content: "Dismissed: the row stays unticked, the focus back on its box",
            trigger: `body:not(:has(.modal)) ${PROCESSING_ROW} .o_invoice_pay_select:not(:checked):focus`,
        },
        {
            content: "Nothing is chosen",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('0.00')) .o_invoice_pay_submit:disabled",
        },
        {
            content: "Tick it again",
            trigger: `${PROCESSING_ROW} .o_invoice_pay_select`,
            run: "click",
        },
        checkReadableAndTappable(
            "The question",
            ".modal:contains('Pay this invoice again?') .modal-content"
        ),
        {
            content: "Pay it anyway",
            trigger:
                ".modal:contains('Pay this invoice again?') .modal-footer button:contains('Pay it')",
            run: "click",
        },
        {
            content: "The row is ticked for what is payable now, the processing share left out",
            trigger: `body:not(:has(.modal)) ${PROCESSING_ROW}:has(.o_invoice_pay_amount:value('300.00')) .o_invoice_pay_select:checked:focus`,
        },
        {
            content: "The total is what is payable now",
            trigger: ".o_invoice_pay_total:contains('300.00')",
        },
        // Select all.
        {
            content: "Pay part of another invoice",
            trigger: `${MID_ROW} .o_invoice_pay_amount`,
            run: "edit 50",
        },
        {
            content: "Some invoices chosen, one in part: Select all is mixed",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('350.00')) .o_invoice_pay_select_all:not(:checked)",
            run() {
                if (!this.anchor.indeterminate) {
                    throw new Error("Select all should be mixed (indeterminate)");
                }
            },
        },
        {
            content: "Select all",
            trigger: ".o_invoice_pay_select_all",
            run: "click",
        },
        {
            content: "Every invoice in full: 300.00 + 250.50 + 1,000.00",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('1,550.50')) .o_invoice_pay_select_all:checked",
            run() {
                if (this.anchor.indeterminate) {
                    throw new Error("Select all should not be mixed any more");
                }
                const rows = document.querySelectorAll(".o_invoice_pay_row");
                const amounts = [...rows].map(
                    (row) => row.querySelector(".o_invoice_pay_amount").value
                );
                const ticked = [...rows].every(
                    (row) => row.querySelector(".o_invoice_pay_select").checked
                );
                if (!ticked || amounts.join(" ") !== "300.00 250.50 1000.00") {
                    throw new Error(`Not every invoice in full: ${amounts.join(", ")}`);
                }
            },
        },
        {
            content: "A second click clears",
            trigger: ".o_invoice_pay_select_all:checked",
            run: "click",
        },
        {
            content: "Nothing chosen: the total is zero and Pay is disabled",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('0.00')):has(.o_invoice_pay_submit:disabled):not(:has(.o_invoice_pay_select:checked))",
            run() {
                const selectAll = this.anchor.querySelector(".o_invoice_pay_select_all");
                if (selectAll.checked || selectAll.indeterminate) {
                    throw new Error("Select all should be cleared");
                }
            },
        },
        // An amount written the wrong way.
        {
            content: "Type 1,5 on the English page",
            trigger: `${MID_ROW} .o_invoice_pay_amount`,
            run: "edit 1,5",
        },
        {
            content: "Refused at its field, linked to the message next to it, in view",
            trigger: `${MID_ROW} .o_invoice_pay_amount.is-invalid[aria-invalid='true']`,
            async run() {
                const input = this.anchor;
                const message = document.getElementById(input.getAttribute("aria-describedby"));
                if (!message || message.previousElementSibling !== input || !isShown(message)) {
                    throw new Error("The field is not described by the message shown next to it");
                }
                if (plainText(message) !== "Write the decimals after “.”, as in 1.50.") {
                    throw new Error(`Unexpected message: ${plainText(message)}`);
                }
                if (!document.querySelector(".o_invoice_pay_submit").disabled) {
                    throw new Error("Pay must be disabled while an amount is wrong");
                }
                // Scrolled to smoothly: wait for it.
                for (
                    let attempt = 0;
                    attempt < 20 && !(inViewport(input) && inViewport(message));
                    attempt++
                ) {
                    await pause(100);
                }
                if (!inViewport(input) || !inViewport(message)) {
                    const bar = document
                        .querySelector(".o_invoice_pay_pay_bar")
                        .getBoundingClientRect();
                    throw new Error(
                        `The field and its message are not in view: field ${input.getBoundingClientRect().top}, message ${message.getBoundingClientRect().bottom}, Pay bar ${bar.top}, window ${window.innerHeight}`
                    );
                }
                const lowContrast = lowContrastTexts(message);
                if (lowContrast.length) {
                    throw new Error(`Contrast below 4.5:1: ${lowContrast.join(", ")}`);
                }
            },
        },
        {
            content: "Write it right",
            trigger: `${MID_ROW} .o_invoice_pay_amount`,
            run: "edit 100.25",
        },
        {
            content: "The error is gone, the row ticked",
            trigger: `${MID_ROW}:not(:has(.o_invoice_pay_amount_error:not(:empty))) .o_invoice_pay_amount:not(.is-invalid):not([aria-invalid]):not([aria-describedby])`,
            run() {
                if (
                    !this.anchor
                        .closest(".o_invoice_pay_row")
                        .querySelector(".o_invoice_pay_select").checked
                ) {
                    throw new Error("The row should be ticked");
                }
            },
        },
        {
            content: "Tick the invoice with the processing payment again",
            trigger: `${PROCESSING_ROW} .o_invoice_pay_select`,
            run: "click",
        },
        {
            content: "Pay it anyway",
            trigger:
                ".modal:contains('Pay this invoice again?') .modal-footer button:contains('Pay it')",
            run: "click",
        },
        // One Pay button.
        {
            content: "Pay",
            trigger:
                ".o_invoice_pay_group:has(.o_invoice_pay_total:contains('400.25')) .o_invoice_pay_submit:enabled",
            run: "click",
        },
        {
            content: "Each method shows its fee before it is chosen",
            trigger:
                ".o_invoice_pay_checkout:has(label:has(.o_invoice_pay_fee_badge:contains('No fee'))) label:has(.o_invoice_pay_fee_badge:contains('+3 % on credit cards, no fee on debit'))",
        },
        {
            content:
                "The choice is summarised read-only above the form; the page's Pay and total are gone",
            trigger: ".o_invoice_pay_checkout .o_invoice_pay_change:contains('Change selection')",
            run() {
                const checkout = this.anchor.closest(".o_invoice_pay_checkout");
                for (const selector of [
                    ".o_invoice_pay_submit",
                    ".o_invoice_pay_total",
                    ".o_invoice_pay_rows",
                    ".o_invoice_pay_spread",
                ]) {
                    const element = document.querySelector(selector);
                    if (element && isShown(element)) {
                        throw new Error(`${selector} should be hidden while checking out`);
                    }
                }
                const summary = checkout.querySelector(".o_invoice_pay_summary");
                if (summary.querySelector("input, select, textarea")) {
                    throw new Error("The summary should be read-only");
                }
                const lines = [
                    ...summary.querySelectorAll(":scope > li.d-flex:not(.o_invoice_pay_fee_line)"),
                ].map(plainText);
                const rows = [...document.querySelectorAll(".o_invoice_pay_row")].map(
                    (row) => row.dataset.invoiceName
                );
                const expected = [`${rows[0]} $ 300.00`, `${rows[1]} $ 100.25`, "Total $ 400.25"];
                if (lines.join(" | ") !== expected.join(" | ")) {
                    throw new Error(`Unexpected summary: ${lines.join(" | ")}`);
                }
                const payButtons = [...document.querySelectorAll("button")].filter(
                    (button) => isShown(button) && /^Pay\b/.test(plainText(button))
                );
                if (payButtons.length !== 1 || payButtons[0].name !== "o_payment_submit_button") {
                    throw new Error(
                        `One Pay button expected, the form's: ${payButtons.map(describe).join(", ")}`
                    );
                }
            },
        },
        checkReadableAndTappable("The payment form", ".o_invoice_pay_page"),
        {
            content: "Choose Card",
            trigger:
                ".o_invoice_pay_checkout input[name='o_payment_radio'][data-payment-method-code='card']",
            run: "click",
        },
        {
            content: "The form's button pays the total",
            trigger:
                ".o_invoice_pay_checkout button[name='o_payment_submit_button']:contains('Pay')",
            run() {
                if (plainText(this.anchor) !== "Pay $ 400.25") {
                    throw new Error(`Unexpected button: ${plainText(this.anchor)}`);
                }
            },
        },
        {
            content: "Enter the demo's credit test card",
            trigger:
                ".o_invoice_pay_checkout [name='o_payment_option']:has(input[data-payment-method-code='card']) input[name='customer_input']",
            run: "edit 4242 4242 4242 4242",
        },
        {
            content:
                "The surcharge (3 % of 400.25 is 12.0075: never above the cap) is added before paying",
            trigger:
                ".o_invoice_pay_checkout:has(.o_invoice_pay_fee_line:not(.d-none):contains('Credit card surcharge'):contains('12.00')) .o_invoice_pay_checkout_total:contains('412.25')",
        },
        {
            content: "The form's button pays the total with the surcharge",
            trigger:
                ".o_invoice_pay_checkout button[name='o_payment_submit_button']:enabled:contains('412.25')",
            run() {
                if (plainText(this.anchor) !== "Pay $ 412.25") {
                    throw new Error(`Unexpected button: ${plainText(this.anchor)}`);
                }
            },
        },
        checkReadableAndTappable("The payment form with the card", ".o_invoice_pay_page"),
        // After paying.
        ...payAndComeBack(),
        {
            content:
                "The dialog lists the invoices paid, the amount on each, and where the receipt is emailed",
            trigger: ".o_invoice_pay_result.show .o_invoice_pay_result_email",
            run() {
                const dialog = this.anchor.closest(".o_invoice_pay_result");
                const lines = [...dialog.querySelectorAll(".o_invoice_pay_result_invoices li")].map(
                    plainText
                );
                if (
                    lines.length !== 2 ||
                    !lines[0].endsWith(" $ 300.00") ||
                    !lines[1].endsWith(" $ 100.25")
                ) {
                    throw new Error(`Unexpected invoices: ${lines.join(" | ")}`);
                }
                const email = plainText(this.anchor);
                if (email !== "Your receipt is emailed to accounts@harborlight.example.com.") {
                    throw new Error(`Unexpected email line: ${email}`);
                }
                if (
                    !plainText(dialog.querySelector(".o_invoice_pay_result_details")).includes(
                        "$ 412.25"
                    )
                ) {
                    throw new Error("The dialog does not give the amount paid");
                }
            },
        },
        checkReadableAndTappable("The success dialog", ".o_invoice_pay_result.show .modal-content"),
        closeResultDialog(),
        {
            content: "The dialog is closed; the focus is on the page, not lost",
            trigger:
                "body:not(.modal-open):not(:has(.o_invoice_pay_result.show)) .o_invoice_pay_list",
            run() {
                const focused = document.activeElement;
                if (
                    !focused ||
                    focused === document.body ||
                    !this.anchor.contains(focused) ||
                    !isShown(focused)
                ) {
                    throw new Error(`The focus is lost: ${focused && describe(focused)}`);
                }
            },
        },
        {
            content: "Payments made lists the payment with its receipt",
            trigger:
                ".o_invoice_pay_payments_made li:contains('412.25') .o_invoice_pay_payment_receipt",
            async run() {
                const response = await fetch(this.anchor.getAttribute("href"));
                const receipt = await response.text();
                const type = response.headers.get("Content-Type") || "";
                if (!response.ok || !/pdf|html/.test(type) || !receipt.includes("412.25")) {
                    throw new Error(`Unexpected receipt (${response.status}, ${type})`);
                }
            },
        },
        checkReadableAndTappable("The page after paying", ".o_invoice_pay_page"),
    ],
});
