"""The ServiceNow tables the connector reads, and their out-of-box codes (itsm-apis.md §1)."""

from __future__ import annotations

from collections.abc import Mapping

from .tickets import StatusCategory

__all__ = ["DEFAULT_PRIORITIES", "TABLE_STATES"]

# Out-of-box state codes per table (§1 "Key incident fields and out-of-box codes").
# Instances customise choices; test_connection lists codes found in sys_choice that no map
# covers, and admins extend ``status_map``.
TABLE_STATES: Mapping[str, Mapping[str, StatusCategory]] = {
    "incident": {
        "1": "open",  # New
        "2": "in_progress",  # In Progress
        "3": "in_progress",  # On Hold (hold_reason 1-5: "Awaiting ...")
        "6": "resolved",
        "7": "closed",
        "8": "cancelled",
    },
    "problem": {
        # ansible-collections/servicenow.itsm:plugins/module_utils/problem.py
        "101": "open",  # New
        "102": "in_progress",  # Assess
        "103": "in_progress",  # Root Cause Analysis
        "104": "in_progress",  # Fix in Progress
        "106": "resolved",
        "107": "closed",
        # The pre-Madrid problem states, still on upgraded instances: c_TableAPI.md's own
        # example PRB0000050 carries "state": "4" with active=false and closed_at set.
        # 1 Open, 2 Known Error, 3 Pending Change, 4 Closed/Resolved.
        "1": "open",
        "2": "in_progress",
        "3": "in_progress",
        "4": "closed",
    },
    "change_request": {
        "-5": "open",  # New
        "-4": "in_progress",  # Assess
        "-3": "in_progress",  # Authorize
        "-2": "in_progress",  # Scheduled
        "-1": "in_progress",  # Implement
        "0": "in_progress",  # Review
        "3": "closed",
        "4": "cancelled",
    },
    # [unconfirmed] in the reference ("usual OOB"). Any other code is rejected with a
    # reason rather than guessed, so a wrong guess cannot hide an open item as closed.
    "sc_req_item": {
        "-5": "open",  # Pending
        "1": "open",  # Open
        "2": "in_progress",  # Work in Progress
        "3": "closed",  # Closed Complete
        "4": "closed",  # Closed Incomplete
        "7": "cancelled",  # Closed Skipped
    },
}

# §1: priority 1 Critical, 2 High, 3 Moderate, 4 Low, 5 Planning; the digit is kept.
DEFAULT_PRIORITIES: Mapping[str, int] = {str(n): n for n in range(1, 6)}
