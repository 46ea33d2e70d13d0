{
    "name": "Invoice Public Pay",
    "summary": "One secure link per customer to a public page where they pay "
    "any open invoices, in full or in part",
    "version": "19.0.1.4.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "invoice_public_pay developers",
    "website": "https://github.com/invoice-public-pay/invoice_public_pay",
    "depends": ["account_payment", "payment_stripe", "portal"],
    "external_dependencies": {"python": ["qrcode", "num2words", "stripe>=16,<17"]},
    "data": [
        "security/invoice_public_pay_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/invoice_pay_link_activity_views.xml",
        "views/res_partner_views.xml",
        "views/invoice_pay_templates.xml",
        "views/invoice_pay_note_templates.xml",
        "views/payment_transaction_views.xml",
        "views/invoice_pay_fee_rule_views.xml",
        "report/invoice_pay_receipt_report.xml",
        "report/report_invoice_templates.xml",
        "data/mail_templates_pay_button.xml",
        "views/res_config_settings_views.xml",
        "report/invoice_pay_statement_report.xml",
        "views/invoice_pay_statement_templates.xml",
        "views/res_partner_statement_views.xml",
        "views/mail_compose_message_views.xml",
        "views/invoice_pay_link_report_views.xml",
    ],
    "demo": [
        "demo/invoice_public_pay_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "invoice_public_pay/static/src/backend/**/*",
        ],
        "web.assets_frontend": [
            "invoice_public_pay/static/src/frontend/**/*",
        ],
        "web.assets_tests": [
            "invoice_public_pay/static/tests/tours/**/*",
        ],
        # Hoot unit tests of the page's Stripe steps (a stand-in Stripe object).
        "web.assets_unit_tests_setup": [
            "invoice_public_pay/static/src/frontend/stripe_card_read.js",
        ],
        "web.assets_unit_tests": [
            "invoice_public_pay/static/tests/unit/**/*",
        ],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
}
