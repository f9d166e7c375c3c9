"""Helpers of the campaign tests: send a campaign as the worker does, read its status JSON."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from privacydesk.mailings import services, tasks
from privacydesk.mailings.models import Campaign


def send(campaign: Campaign) -> dict:
    """Queue the campaign and run the worker's delivery job once; its report."""
    services.queue_campaign(campaign.pk, actor="system:test")
    return tasks.deliver.call(campaign.pk)


def status(campaign: Campaign) -> dict:
    """``privacydesk mailings campaign status ID --json``, parsed."""
    out = StringIO()
    call_command("mailings", "campaign", "status", str(campaign.pk), "--json", stdout=out)
    return json.loads(out.getvalue())
