"""The weekly leadership digest as a page (the e-mail's twin, reports/digest.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from cataligent.permissions import check_read_reports
from reports.digest import Digest, build_digest
from reports.results import kept_like_a_report

# The page's digest is kept this long while nothing it reads changes (it builds green-red
# for two weeks and the spend report: about a second for a large organisation).
PAGE_CACHE_SECONDS = 300


def digest_page(request: Any) -> HttpResponse:
    """This week's leadership digest, as the e-mail leadership gets (every signed-in user reads
    reports: DESIGN §1)."""
    check_read_reports(request.user)
    return render(request, "reports/digest.html", {"digest": page_digest()})


def page_digest() -> Digest:
    return kept_like_a_report("digest", build_digest, seconds=PAGE_CACHE_SECONDS)
