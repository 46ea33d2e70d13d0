import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("invoice_public_pay_copy_link", {
    steps: () => [
        {
            content: "Open the Invoicing tab of the customer",
            trigger: ".o_notebook a[name='accounting']",
            run: "click",
        },
        {
            content: "No activity yet",
            trigger: ".oe_stat_button:contains('Pay Link Activity') .o_stat_value:contains('0')",
        },
        {
            content: "Copy the public invoice pay link",
            trigger: "button.o_invoice_pay_copy_button:enabled",
            run: "click",
        },
        {
            content: "The user is told the link was copied",
            trigger: ".o_notification:contains('Public invoice pay link copied')",
        },
        {
            content: "The clipboard holds the link shown on the form",
            trigger: ".o_invoice_pay_url",
            run: async function () {
                const copied = await navigator.clipboard.readText();
                const shown = document.querySelector(".o_invoice_pay_url").textContent.trim();
                if (!copied.includes("/invoice-pay/") || copied !== shown) {
                    throw new Error(`Clipboard holds "${copied}", the form shows "${shown}"`);
                }
            },
        },
        {
            content: "The activity counter went up",
            trigger: ".oe_stat_button:contains('Pay Link Activity') .o_stat_value:contains('1')",
            run: "click",
        },
        {
            content: "The history lists the copy",
            trigger: ".o_list_view .o_data_row td[name='event']:contains('Copied')",
        },
    ],
});
