import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools import SQL

from ..pay_core.tokens import is_well_formed_token, token_digest

_logger = logging.getLogger(__name__)

REQUEST_CRON_XMLID = "invoice_public_pay.ir_cron_process_invoice_pay_link_requests"
#: Queued requests one run of the scheduled action handles; it starts again for the rest.
REQUESTS_PER_RUN = 200


class InvoicePayLinkRequest(models.Model):
    """A "Request a new link" made on the page of a link that does not work, waiting to be handled.

    The request does the same small work whatever the token: it keeps the token's SHA-256
    digest (never the token) and the time, and wakes the scheduled action. Whether the token
    was a link, and whose, is found later by :meth:`_cron_process_link_requests`, so neither
    the answer nor its time tells a visitor anything about the token. Rows are deleted once
    handled; a digest already waiting is not queued again, and the guess counter of the
    public pages limits how many tokens one address may bring.
    """

    _name = "invoice.pay.link.request"
    _description = "Requested Invoice Pay Link"
    _order = "date, id"
    _rec_name = "date"
    _log_access = False

    digest = fields.Char(required=True, readonly=True, help="SHA-256 of the token, in hexadecimal.")
    date = fields.Datetime(string="Requested On", required=True, readonly=True, default=fields.Datetime.now)

    _digest_unique = models.Constraint("UNIQUE(digest)", "Each token is queued once.")

    @api.model
    def _enqueue(self, token):
        """Queue a request for a new link for ``token``, and wake the scheduled action.

        One row and one trigger, whatever the token (unknown, disabled, replaced or
        enabled): nothing here may depend on whether the token was a link. A token
        already waiting is not queued twice.
        """
        if not is_well_formed_token(token):
            return
        inserted = self.env.execute_query(SQL(
            "INSERT INTO invoice_pay_link_request (digest, date) VALUES (%s, %s) "
            "ON CONFLICT (digest) DO NOTHING RETURNING id",
            token_digest(token), fields.Datetime.now(),
        ))
        if inserted:
            self.env.ref(REQUEST_CRON_XMLID).sudo()._trigger()

    @api.model
    def _cron_process_link_requests(self, limit=REQUESTS_PER_RUN):
        """Tell the salespeople of the links the queued requests were made for; empty the queue.

        Unknown digests and the current tokens of enabled links are dropped; the others
        go to ``invoice.pay.link._handle_link_request`` (at most once a day per link).
        Each request in a savepoint, deleted once handled; one that fails is logged and
        dropped, one that meets a database conflict waits for the next run. Run by the
        scheduler, each one is committed with the cron's progress, and the run stops when
        its time is spent (the scheduler runs it again for the rest).
        """
        requests = self.sudo().search([], limit=limit)
        links = self.env["invoice.pay.link"]._find_by_digests(requests.mapped("digest"))
        total = len(requests) if len(requests) < limit else self.sudo().search_count([])
        # Outside the scheduler (tests, shell, a caller's transaction) nothing is committed here.
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        for done, link_request in enumerate(requests, start=1):
            link, replaced = links.get(link_request.digest, (None, False))
            try:
                with self.env.cr.savepoint():
                    if link:
                        link._handle_link_request(replaced, link_request.date)
                    # Deleted last and committed at once: a request of the same token meanwhile
                    # waits on this row for as short a time whatever the token was.
                    link_request.unlink()
            except (psycopg2.OperationalError, ConcurrencyError):
                _logger.info("Request for a new link %s postponed after a database conflict", link_request.id)
                self.env.ref(REQUEST_CRON_XMLID).sudo()._trigger(fields.Datetime.now() + timedelta(minutes=1))
                return
            except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
                # Whatever broke this one must not hold back the others, nor be tried forever.
                _logger.warning("Request for a new link %s could not be handled", link_request.id, exc_info=True)
                link_request.unlink()
            if in_cron and not self.env["ir.cron"]._commit_progress(1, remaining=total - done):
                return
        if len(requests) == limit:
            self.env.ref(REQUEST_CRON_XMLID).sudo()._trigger()
