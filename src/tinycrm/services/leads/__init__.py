"""Leads: records (add, list, edit, status, log, rescore), converting, scoring, web-form capture, contact-form
mail. ``leads.capture(...)`` is here for the web server."""

from __future__ import annotations

from typing import Any


def capture(tx_or_db: Any, fields: Any, *, form: str, remote_addr: str | None) -> int | None:
    """See :func:`tinycrm.services.leads.webform.capture`."""
    from tinycrm.services.leads.webform import capture as _capture

    return _capture(tx_or_db, fields, form=form, remote_addr=remote_addr)
