"""The weekly leadership digest as a page (the e-mail's twin, reports/digest.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from cataligent.permissions import check_read_reports
from reports.digest import build_digest


def digest_page(request: Any) -> HttpResponse:
    """This week's leadership digest, as the e-mail leadership gets (every signed-in user reads
    reports: DESIGN §1)."""
    check_read_reports(request.user)
    return render(request, "reports/digest.html", {"digest": build_digest()})
