import { registry } from "@web/core/registry";

// Kept across the page loads of the tour: what the first link showed, and where to go next.
const SEEN_PAGE = "invoice_public_pay_request_link.page";
const SEEN_ANSWER = "invoice_public_pay_request_link.answer";
const NEXT_LINK = "invoice_public_pay_request_link.next";

/**
 * The text of ``element`` as the visitor reads it, spaces collapsed.
 *
 * @param {HTMLElement} element
 */
function readText(element) {
    return element.innerText.replace(/\s+/g, " ").trim();
}

/**
 * Steps on the page of a link that does not work: it offers the business's contact
 * details and "Request a new link"; the request is answered.
 *
 * @param {string} which the link, for the steps' titles
 * @param {(page: string) => void} checkPage what to do with the page's text
 * @param {(answer: string) => void} checkAnswer what to do with the answer's text
 */
function requestNewLink(which, checkPage, checkAnswer) {
    return [
        {
            content: `${which}: the link does not work; the business's name and phone are shown`,
            trigger:
                ".o_invoice_pay_invalid_link:contains('This payment link is not valid'):has(.o_invoice_pay_business:contains('Lighthouse Ledger Co.'):contains('+1 555-0142'))",
            run() {
                checkPage(readText(this.anchor));
            },
        },
        {
            content: `${which}: request a new link`,
            trigger:
                ".o_invoice_pay_request_link button[type='submit']:contains('Request a new link')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: `${which}: the answer says a new link will come if the link was ours`,
            trigger:
                ".o_invoice_pay_link_requested:contains('If this link was sent by us, we will send you a new one.')",
            run() {
                checkAnswer(readText(this.anchor));
            },
        },
    ];
}

/**
 * @param {string} what
 * @param {string} key the sessionStorage key of what the first link showed
 */
function sameAs(what, key) {
    return (text) => {
        if (text !== sessionStorage.getItem(key)) {
            throw new Error(`The ${what} differs from the unknown link's: ${text}`);
        }
    };
}

registry.category("web_tour.tours").add("invoice_public_pay_request_link", {
    steps: () => [
        ...requestNewLink(
            "Unknown link",
            (page) => {
                sessionStorage.setItem(SEEN_PAGE, page);
                // The test names the second link in the fragment, which the server never sees.
                sessionStorage.setItem(NEXT_LINK, window.location.hash.slice(1));
            },
            (answer) => sessionStorage.setItem(SEEN_ANSWER, answer)
        ),
        {
            content: "Open the link that was replaced",
            trigger: ".o_invoice_pay_link_requested",
            run() {
                window.location.assign(sessionStorage.getItem(NEXT_LINK));
            },
            expectUnloadPage: true,
        },
        ...requestNewLink(
            "Replaced link",
            sameAs("page", SEEN_PAGE),
            sameAs("answer", SEEN_ANSWER)
        ),
    ],
});
