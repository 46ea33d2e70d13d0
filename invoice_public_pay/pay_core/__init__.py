"""Odoo-free core of invoice_public_pay: money parsing, allocation, fees, tokens.

Nothing in this package imports ``odoo``: it is unit-tested directly with pytest
and called by the Odoo layer.
"""
