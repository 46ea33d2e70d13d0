import { _t } from "@web/core/l10n/translation";
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { Component, useState } from "@odoo/owl";

/**
 * Shows the customer's public invoice pay link with a "Copy" button.
 *
 * Odoo's clipboard widgets copy on the client only; this one asks the server
 * for the link, which records the "copied" event, while keeping the browser's
 * user-gesture permission: the clipboard write starts synchronously in the
 * click handler with a ClipboardItem whose content is the pending server answer.
 */
export class PayLinkCopyField extends Component {
    static template = "invoice_public_pay.PayLinkCopyField";
    static props = { ...standardFieldProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ manualCopyUrl: "" });
    }

    get url() {
        return this.props.record.data[this.props.name] || "";
    }

    get canCopy() {
        return Boolean(this.props.record.resId) && this.props.record.data.invoice_pay_link_state !== "disabled";
    }

    async fetchUrl() {
        const record = this.props.record;
        if (record.dirty) {
            await record.save();
        }
        return this.orm.call(record.resModel, "action_invoice_pay_copy_link", [[record.resId]]);
    }

    writeToClipboard(urlPromise) {
        const clipboard = browser.navigator.clipboard;
        if (!clipboard) {
            return Promise.reject(new Error("Clipboard API unavailable"));
        }
        if (browser.ClipboardItem && clipboard.write) {
            const blobPromise = urlPromise.then((url) => new Blob([url], { type: "text/plain" }));
            return clipboard.write([new browser.ClipboardItem({ "text/plain": blobPromise })]);
        }
        return urlPromise.then((url) => clipboard.writeText(url));
    }

    async onCopyClick() {
        this.state.manualCopyUrl = "";
        const urlPromise = this.fetchUrl();
        // Must start before any await: later, the user gesture is gone.
        const clipboardPromise = this.writeToClipboard(urlPromise);
        let url;
        try {
            url = await urlPromise;
        } catch (error) {
            clipboardPromise.catch(() => {});
            throw error;
        }
        try {
            await clipboardPromise;
            this.notification.add(_t("Public invoice pay link copied to the clipboard."), {
                type: "success",
            });
        } catch {
            // The browser refused the clipboard (no permission, page not focused):
            // show the link so that the user can copy it by hand.
            this.state.manualCopyUrl = url;
        }
        await this.props.record.load();
    }

    onManualCopyFocus(ev) {
        ev.target.select();
    }
}

export const payLinkCopyField = {
    component: PayLinkCopyField,
    displayName: _t("Copy Public Invoice Pay Link"),
    supportedTypes: ["char"],
    fieldDependencies: [{ name: "invoice_pay_link_state", type: "selection" }],
};

registry.category("fields").add("invoice_pay_copy_link", payLinkCopyField);
