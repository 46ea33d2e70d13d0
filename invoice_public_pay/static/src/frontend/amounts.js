import { localization } from "@web/core/l10n/localization";

/**
 * Amounts on the pay page are handled as integers of the currency's smallest
 * unit (cents for most currencies), never as floats, so that totals are exact.
 * The server recomputes everything anyway; this only drives what the page shows.
 */

/**
 * Read an amount typed by the customer in their language's number format.
 *
 * @param {string} text
 * @param {number} decimalPlaces
 * @returns {{units: number|null, error: string|null}} units is null for an empty field
 */
export function parseAmountInput(text, decimalPlaces) {
    let value = (text || "").trim();
    if (!value) {
        return { units: null, error: null };
    }
    const thousandsSep = localization.thousandsSep || ",";
    const decimalPoint = localization.decimalPoint || ".";
    // A currency sign or code before or after the number ("$100", "100 €", "USD 100").
    value = value.replace(/^(?:\p{Sc}|[A-Z]{3})\s*|\s*(?:\p{Sc}|[A-Z]{3})$/gu, "");
    value = value.replace(/\s/g, "");
    if (thousandsSep.trim() && value.includes(thousandsSep)) {
        // "1,5" or "12,50" on a page writing "12.50": decimals with the other separator.
        if (new RegExp(`^\\d+${escapeRegExp(thousandsSep)}\\d{1,2}$`).test(value)) {
            return { units: null, error: "decimal_separator" };
        }
        // A thousands separator only between groups of three digits: "1.5" on a page
        // that writes "1.234,50" is refused, never read as 15.
        const [integerPart, ...decimalParts] = value.split(decimalPoint);
        const sep = escapeRegExp(thousandsSep);
        const grouped = new RegExp(`^\\d{1,3}(${sep}\\d{3})+$`);
        if (decimalParts.length > 1 || !grouped.test(integerPart)) {
            return { units: null, error: "not_a_number" };
        }
        value = value.split(thousandsSep).join("");
    }
    if (decimalPoint !== ".") {
        value = value.replace(decimalPoint, ".");
    }
    const match = /^(\d{1,13})(?:\.(\d+))?$/.exec(value);
    if (!match) {
        return { units: null, error: "not_a_number" };
    }
    const decimals = (match[2] || "").replace(/0+$/, "");
    if (decimals.length > decimalPlaces) {
        return { units: null, error: "too_precise" };
    }
    const units = Number(match[1]) * 10 ** decimalPlaces + Number(decimals.padEnd(decimalPlaces, "0") || 0);
    return { units, error: units > 0 ? null : "not_positive" };
}

/**
 * ``text`` as a regular expression matching it literally.
 *
 * @param {string} text
 */
function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Units to a plain decimal string ("1234.50") for the server.
 *
 * @param {number} units
 * @param {number} decimalPlaces
 */
export function unitsToDecimalString(units, decimalPlaces) {
    if (!decimalPlaces) {
        return String(units);
    }
    const text = String(units).padStart(decimalPlaces + 1, "0");
    return `${text.slice(0, -decimalPlaces)}.${text.slice(-decimalPlaces)}`;
}

/**
 * Units to the number the customer reads in an amount field ("1,234.50" in English).
 *
 * @param {number} units
 * @param {number} decimalPlaces
 */
export function unitsToInputText(units, decimalPlaces) {
    const [integer, decimals] = unitsToDecimalString(units, decimalPlaces).split(".");
    return decimals === undefined ? integer : `${integer}${localization.decimalPoint || "."}${decimals}`;
}

/**
 * A decimal value (number or string) from the server to units.
 *
 * @param {number|string} value
 * @param {number} decimalPlaces
 */
export function decimalToUnits(value, decimalPlaces) {
    return Math.round(Number(value) * 10 ** decimalPlaces);
}
