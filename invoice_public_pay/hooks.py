def post_init_hook(env):
    """Give a pay link to every existing customer with an open customer invoice."""
    groups = env["account.move"].sudo()._read_group(
        [
            ("move_type", "in", ("out_invoice", "out_receipt")),
            ("state", "=", "posted"),
            ("amount_residual", ">", 0),
        ],
        ["commercial_partner_id"],
    )
    partners = env["res.partner"].browse([partner.id for (partner,) in groups])
    env["invoice.pay.link"]._ensure_for_partners(partners)
