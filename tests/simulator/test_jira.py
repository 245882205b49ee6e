"""The simulated Jira Cloud search against the wire format in reference/itsm-apis.md §2."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from integrations.simulator import JiraIssue, SimulatorServer, SimulatorStore, make_server
from integrations.simulator.jira import UNBOUNDED

from .conftest import JIRA_AUTH, NOW

SEARCH = "/rest/api/3/search/jql"
FIELDS = "summary,status,priority,assignee,updated,created,labels,components,project"


def search_all(client: httpx.Client, jql: str, page_size: int) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    token = None
    while True:
        params: dict[str, str | int] = {"jql": jql, "maxResults": page_size, "fields": FIELDS}
        if token:
            params["nextPageToken"] = token
        body = client.get(SEARCH, params=params).json()
        pages.append(body)
        if "nextPageToken" not in body:
            return pages
        token = body["nextPageToken"]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def add_issue(store: SimulatorStore, updated: datetime, summary: str = "probe") -> JiraIssue:
    issue = JiraIssue(
        id=store.jira.new_issue_id(),
        project="LEND",
        number=store.jira.new_number("LEND"),
        summary=summary,
        status="In Progress",
        priority="High",
        issue_type="Bug",
        created=ms(updated),
        updated=ms(updated),
    )
    store.jira.add(issue)
    return issue


def test_myself_reports_the_account_time_zone(jira: httpx.Client) -> None:
    me = jira.get("/rest/api/3/myself").json()

    assert me["timeZone"] == "Europe/Berlin"
    assert me["emailAddress"] == JIRA_AUTH[0]
    assert me["accountId"]


def test_only_id_without_fields(jira: httpx.Client) -> None:
    body = jira.get(SEARCH, params={"jql": "project = LEND", "maxResults": 3}).json()

    assert [set(issue) for issue in body["issues"]] == [{"id"}] * 3
    assert "total" not in body and "startAt" not in body


def test_issue_shape_and_offsets(jira: httpx.Client) -> None:
    body = jira.get(
        SEARCH, params={"jql": "project = LEND ORDER BY key ASC", "maxResults": 1, "fields": "*all"}
    ).json()

    issue = body["issues"][0]
    assert issue["key"] == "LEND-1" and issue["id"].isdigit()
    fields = issue["fields"]
    assert fields["status"]["statusCategory"]["key"] == "indeterminate"
    assert fields["status"]["name"] == "Blocked"
    assert fields["priority"] == {
        "self": fields["priority"]["self"],
        "name": "Highest",
        "id": "1",
    }
    assert "core-banking-lending-api" in fields["labels"]
    assert [c["name"] for c in fields["components"]] == ["core-banking-integration"]
    # January in Berlin: +0100, with milliseconds.
    assert fields["updated"].endswith("+0100") and fields["updated"][19] == "."
    assert fields["resolutiondate"] is None and fields["resolution"] is None


def test_paging_to_the_end_with_next_page_token(jira: httpx.Client, store: SimulatorStore) -> None:
    jql = 'project = LEND AND updated >= "2000/01/01 00:00" ORDER BY updated ASC, key ASC'

    pages = search_all(jira, jql, page_size=7)

    keys = [issue["key"] for page in pages for issue in page["issues"]]
    expected = sorted(
        (i for i in store.jira.all() if i.project == "LEND"), key=lambda i: (i.updated, i.number)
    )
    assert keys == [i.key for i in expected]
    assert len(keys) == len(set(keys))
    assert all(page["isLast"] is False and page["nextPageToken"] for page in pages[:-1])
    assert pages[-1]["isLast"] is True and "nextPageToken" not in pages[-1]


def test_updated_literal_is_read_in_the_account_time_zone(
    jira: httpx.Client, store: SimulatorStore
) -> None:
    # "2024/01/15 11:00" in Berlin (+0100) is 10:00 UTC.
    inside = add_issue(store, datetime(2024, 1, 15, 10, 0, 30, tzinfo=UTC), "inside")
    outside = add_issue(store, datetime(2024, 1, 15, 9, 59, 59, tzinfo=UTC), "outside")

    body = jira.get(
        SEARCH,
        params={"jql": 'updated >= "2024/01/15 11:00" AND summary ~ side', "fields": "updated"},
    ).json()

    assert [issue["key"] for issue in body["issues"]] == [inside.key]
    assert body["issues"][0]["fields"]["updated"] == "2024-01-15T11:00:30.000+0100"
    assert outside.key not in {issue["key"] for issue in body["issues"]}


def test_summer_offset() -> None:
    summer = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    store = SimulatorStore(seed=1, clock=lambda: summer)
    store.preload(incidents=0, issues=5)
    issue = add_issue(store, summer)
    with make_server(store=store) as server:
        body = httpx.get(
            f"{server.base_url}{SEARCH}",
            params={"jql": f"key = {issue.key}", "fields": "updated"},
            auth=JIRA_AUTH,
        ).json()

    assert body["issues"][0]["fields"]["updated"] == "2024-07-01T14:00:00.000+0200"


@pytest.mark.parametrize("jql", ["", "ORDER BY updated ASC", "  order by key"])
def test_unbounded_jql_is_rejected(jira: httpx.Client, jql: str) -> None:
    response = jira.get(SEARCH, params={"jql": jql})

    assert response.status_code == 400
    assert response.json() == {"errorMessages": [UNBOUNDED], "errors": {}}


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("colour = red", "Field 'colour' does not exist"),
        ('updated >= "yesterday"', "Date value 'yesterday'"),
        ("project = LEND ORDER BY colour", "Not able to sort using field 'colour'."),
        ("project = LEND AND", "Expecting a field name"),
    ],
)
def test_invalid_jql_is_a_400(jira: httpx.Client, jql: str, message: str) -> None:
    response = jira.get(SEARCH, params={"jql": jql})

    assert response.status_code == 400
    assert message in response.json()["errorMessages"][0]


def test_post_search_matches_get(jira: httpx.Client) -> None:
    jql = "project in (LEND, PAY) AND statusCategory != Done ORDER BY updated ASC, key ASC"

    got = jira.get(SEARCH, params={"jql": jql, "fields": "summary", "maxResults": 10})
    posted = jira.post(SEARCH, json={"jql": jql, "fields": ["summary"], "maxResults": 10})

    assert got.status_code == posted.status_code == 200
    assert got.json()["issues"] and got.json() == posted.json()


def test_page_token_belongs_to_its_query(jira: httpx.Client) -> None:
    first = jira.get(SEARCH, params={"jql": "project = LEND", "maxResults": 1}).json()

    reused = jira.get(
        SEARCH,
        params={"jql": "project = PAY", "maxResults": 1, "nextPageToken": first["nextPageToken"]},
    )

    assert reused.status_code == 400


def test_changelog_shows_the_bounces(jira: httpx.Client) -> None:
    body = jira.get(
        SEARCH,
        params={"jql": "key = LEND-1", "fields": "assignee", "expand": "changelog"},
    ).json()

    histories = body["issues"][0]["changelog"]["histories"]
    assert [item["field"] for h in histories for item in h["items"]] == ["assignee"] * 4
    assert histories[-1]["items"][0]["toString"] is None  # unassigned again


def test_removed_search_api_answers_410(jira: httpx.Client) -> None:
    response = jira.get("/rest/api/3/search", params={"jql": "project = LEND"})

    assert response.status_code == 410
    assert "CHANGE-2046" in response.json()["errorMessages"][0]


def test_authentication(server: SimulatorServer) -> None:
    base = server.base_url
    params = {"jql": "project = LEND", "fields": "summary"}

    bad = httpx.get(f"{base}{SEARCH}", params=params, auth=(JIRA_AUTH[0], "wrong"))
    anonymous = httpx.get(f"{base}{SEARCH}", params=params)
    anonymous_me = httpx.get(f"{base}/rest/api/3/myself")
    pat = httpx.get(
        f"{base}{SEARCH}", params=params, headers={"Authorization": "Bearer simulator-token"}
    )

    assert bad.status_code == 401 and bad.json()["errorMessages"]
    # Anonymous search "succeeds" with nothing in it; only /myself shows the problem.
    assert (anonymous.status_code, anonymous.json()["issues"]) == (200, [])
    assert anonymous_me.status_code == 401
    assert pat.status_code == 200 and pat.json()["issues"]


def test_single_issue(jira: httpx.Client) -> None:
    issue = jira.get("/rest/api/3/issue/LEND-2").json()

    assert issue["key"] == "LEND-2"
    assert issue["fields"]["project"]["key"] == "LEND"
    assert issue["fields"]["updated"].startswith(f"{NOW.year}-")  # the fixtures' fixed clock
