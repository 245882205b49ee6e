"""A simulated ITSM source: ServiceNow Table API, Jira Cloud search and PagerDuty's incidents
(REST API v2, the story's on-call pages: .oncall, .pagerduty) on one local port.

Pure Python (standard library HTTP server, no Django): ``simulate_itsm``, the demo, the
connector tests and the ingest benchmark all run it.

    server = make_server("127.0.0.1", 8765, seed=1, tickets=1000, mutate_every=5)
    server.serve_forever()                     # or server.start() for a background thread
    server.store.tick(changes=10)              # make changes now
    server.injector.queue("rate_limited")      # the next API request gets a 429
"""

from .faults import FaultInjector, Faults
from .jira_records import JiraIssue
from .records import Change
from .replay import IncidentLogReplay, ReplayStats, incident_log_path, replay_incident_log
from .scenario import (
    DEMO_ASSIGNMENT_GROUPS,
    DEMO_CONFIGURATION_ITEMS,
    DEMO_JIRA_PROJECTS,
    DEMO_SCENARIO,
    LENDING_API_CI,
    NOISE_ONLY,
    JiraProject,
    Scenario,
    ScenarioIncident,
    ScenarioIssue,
)
from .server import Credentials, SimulatorServer, make_server
from .servicenow_records import Incident
from .store import SimulatorStore

__all__ = [
    "DEMO_ASSIGNMENT_GROUPS",
    "DEMO_CONFIGURATION_ITEMS",
    "DEMO_JIRA_PROJECTS",
    "DEMO_SCENARIO",
    "LENDING_API_CI",
    "NOISE_ONLY",
    "Change",
    "Credentials",
    "FaultInjector",
    "Faults",
    "Incident",
    "IncidentLogReplay",
    "JiraIssue",
    "JiraProject",
    "ReplayStats",
    "Scenario",
    "ScenarioIncident",
    "ScenarioIssue",
    "SimulatorServer",
    "SimulatorStore",
    "incident_log_path",
    "make_server",
    "replay_incident_log",
]
