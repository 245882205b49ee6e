"""The pages of this app that are not a registered report's generic page."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from reports.digest import build_digest


def digest_page(request: Any) -> HttpResponse:
    """This week's leadership digest, as the e-mail leadership gets (every signed-in user reads
    reports: DESIGN §1)."""
    return render(request, "reports/digest.html", {"digest": build_digest()})
