"""A server-wide limit on concurrent PDF renders of the public pages.

``wkhtmltopdf`` loads a report's CSS and images from the Odoo server that asked
for the PDF. With ``--workers=N``, N parallel renders occupy every worker while
each waits for a worker to serve its assets: nobody is answered until they time
out. At most ``N - 1`` renders may run at once, so that one worker is always
left to serve assets and other customers.

Worker processes share no memory: the slots are PostgreSQL advisory locks.
They are transaction-level locks taken on the request's own cursor, so that
PostgreSQL releases them whatever happens: when the request commits, when it
fails and rolls back (or is retried by Odoo), and when its worker dies (the
connection drops). A session-level lock would stay on the pooled connection
Odoo hands to the next request if an unlock were ever missed.

Advisory locks belong to one database: a server serving several databases
limits each of them separately.
"""

from odoo.tools import SQL, config

#: First key of the advisory locks ("IPPD"); the second key is the slot number.
PDF_RENDER_LOCK_CLASS = 0x49505044
#: First key of the per-link locks ("IPPL"); the second key is the link's id.
LINK_RENDER_LOCK_CLASS = 0x4950504C
#: System parameter overriding the number of slots (a positive integer).
PDF_RENDER_SLOTS_PARAM = "invoice_public_pay.max_concurrent_pdf_renders"
#: Slots of a threaded server (``--workers=0``, development and tests): its
#: threads serve the assets, only the CPU is shared.
THREADED_PDF_RENDER_SLOTS = 2
#: Seconds a refused visitor is asked to wait (``Retry-After``).
PDF_RETRY_AFTER_SECONDS = 10


def pdf_render_slots(env):
    """How many PDF renders may run at once: the system parameter, else workers - 1."""
    value = env["ir.config_parameter"].sudo().get_param(PDF_RENDER_SLOTS_PARAM)
    try:
        slots = int(value or 0)
    except ValueError:
        slots = 0
    if slots > 0:
        return slots
    workers = config["workers"] or 0
    return max(1, workers - 1) if workers else THREADED_PDF_RENDER_SLOTS


def try_take_pdf_render_slot(env):
    """Take a free render slot until the end of the current transaction; ``False`` if none is free."""
    for slot in range(pdf_render_slots(env)):
        rows = env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", PDF_RENDER_LOCK_CLASS, slot))
        if rows[0][0]:
            return True
    return False


def try_take_link_render_lock(env, link_id):
    """One render at a time per pay link, until the end of the current transaction.

    A single link holder looping on PDFs then keeps at most one slot busy.
    """
    rows = env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LINK_RENDER_LOCK_CLASS, link_id))
    return bool(rows[0][0])
