"""The simulated ServiceNow Table API against the wire format in reference/itsm-apis.md §1."""

import re
from typing import Any

import httpx

from integrations.simulator import LENDING_API_CI, SimulatorServer, SimulatorStore

INCIDENTS = "/api/now/table/incident"
INCREMENTAL = "sys_updated_on>={since}^ORDERBYsys_updated_on^ORDERBYsys_id"


def links(response: httpx.Response) -> dict[str, int]:
    """rel -> sysparm_offset of each Link header entry."""
    found = {}
    for url, rel in re.findall(r'<([^>]+)>;rel="(\w+)"', response.headers["Link"]):
        found[rel] = int(re.search(r"sysparm_offset=(-?\d+)", url).group(1))  # type: ignore[union-attr]
    return found


def page_all(client: httpx.Client, query: str, limit: int) -> list[dict[str, Any]]:
    records, offset = [], 0
    while True:
        response = client.get(
            INCIDENTS,
            params={"sysparm_query": query, "sysparm_limit": limit, "sysparm_offset": offset},
        )
        assert response.status_code == 200
        page = response.json()["result"]
        records += page
        offset += limit
        if offset >= int(response.headers["X-Total-Count"]):
            return records


def test_envelope_string_values_and_reference_fields(servicenow: httpx.Client) -> None:
    response = servicenow.get(INCIDENTS, params={"sysparm_limit": 50})

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    records = response.json()["result"]
    assert len(records) == 50
    for record in records:
        for name, value in record.items():
            if isinstance(value, dict):
                assert set(value) == {"link", "value"}, name
                assert value["link"].endswith(f"/{value['value']}")
                assert "/api/now/table/" in value["link"]
            else:
                assert isinstance(value, str), (name, value)
        assert re.fullmatch(r"[0-9a-f]{32}", record["sys_id"])
        assert re.fullmatch(r"INC\d{7}", record["number"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", record["sys_updated_on"])
    still_open = [r for r in records if r["state"] in ("1", "2", "3")]
    assert still_open and all(r["closed_at"] == "" and r["closed_by"] == "" for r in still_open)


def test_fields_reference_links_and_dot_walking(servicenow: httpx.Client) -> None:
    response = servicenow.get(
        INCIDENTS,
        params={
            "sysparm_limit": 5,
            "sysparm_fields": "number,assignment_group,cmdb_ci.name,no_such_field",
            "sysparm_exclude_reference_link": "true",
        },
    )

    assert response.status_code == 200
    assert len(response.json()["result"]) == 5
    for record in response.json()["result"]:
        assert set(record) == {"number", "assignment_group", "cmdb_ci.name"}
        assert re.fullmatch(r"[0-9a-f]{32}", record["assignment_group"])


def test_display_values(servicenow: httpx.Client, store: SimulatorStore) -> None:
    lending = next(
        i for i in store.incidents.ordered() if i.priority == "1" and i.pinned and i.is_open
    )
    response = servicenow.get(
        INCIDENTS,
        params={
            "sysparm_query": f"number={lending.number}",
            "sysparm_display_value": "all",
            "sysparm_fields": "state,priority,cmdb_ci,assignment_group",
        },
    )

    (record,) = response.json()["result"]
    assert record["priority"] == {"display_value": "1 - Critical", "value": "1"}
    assert record["state"] == {"display_value": "In Progress", "value": "2"}
    assert record["cmdb_ci"]["display_value"] == LENDING_API_CI
    assert set(record["cmdb_ci"]) == {"display_value", "value", "link"}


def test_paging_to_the_end_without_gaps_or_duplicates(
    servicenow: httpx.Client, store: SimulatorStore
) -> None:
    records = page_all(servicenow, INCREMENTAL.format(since="2000-01-01 00:00:00"), limit=37)

    ids = [r["sys_id"] for r in records]
    assert len(ids) == len(set(ids)) == len(store.incidents)
    keys = [(r["sys_updated_on"], r["sys_id"]) for r in records]
    assert keys == sorted(keys)


def test_link_and_total_count_headers(servicenow: httpx.Client, store: SimulatorStore) -> None:
    total = len(store.incidents)
    query = INCREMENTAL.format(since="2000-01-01 00:00:00")

    first = servicenow.get(INCIDENTS, params={"sysparm_query": query, "sysparm_limit": 100})
    last_offset = (total - 1) // 100 * 100
    last = servicenow.get(
        INCIDENTS,
        params={"sysparm_query": query, "sysparm_limit": 100, "sysparm_offset": last_offset},
    )

    assert first.headers["X-Total-Count"] == str(total)
    # The real capture in the reference has prev at offset -limit on the first page.
    assert links(first) == {"first": 0, "prev": -100, "next": 100, "last": last_offset}
    assert "next" not in links(last)
    assert len(last.json()["result"]) == total - last_offset
    quiet = servicenow.get(
        INCIDENTS,
        params={
            "sysparm_limit": 1,
            "sysparm_no_count": "true",
            "sysparm_suppress_pagination_header": "true",
        },
    )
    assert "X-Total-Count" not in quiet.headers and "Link" not in quiet.headers


def test_filter_by_updated_time(servicenow: httpx.Client, store: SimulatorStore) -> None:
    middle = list(store.incidents.ordered())[len(store.incidents) // 2]
    since = middle.value("sys_updated_on")
    at_or_after = [i for i in store.incidents.ordered() if i.value("sys_updated_on") >= since]
    after = [i for i in at_or_after if i.value("sys_updated_on") > since]

    inclusive = page_all(servicenow, INCREMENTAL.format(since=since), limit=50)
    exclusive = page_all(
        servicenow, f"sys_updated_on>{since}^ORDERBYsys_updated_on^ORDERBYsys_id", limit=50
    )

    assert [r["sys_id"] for r in inclusive] == [i.sys_id for i in at_or_after]
    assert [r["sys_id"] for r in exclusive] == [i.sys_id for i in after]
    assert middle.sys_id in {r["sys_id"] for r in inclusive}
    # gs.dateGenerate as ansible-collections/servicenow.itsm sends it (user zone GMT).
    date, time = since.split(" ")
    generated = page_all(
        servicenow,
        f"sys_updated_on>=javascript:gs.dateGenerate('{date}','{time}')^ORDERBYsys_updated_on",
        limit=50,
    )
    assert len(generated) == len(at_or_after)


def test_unknown_query_parts_are_ignored(servicenow: httpx.Client) -> None:
    query = INCREMENTAL.format(since="2000-01-01 00:00:00")
    plain = servicenow.get(INCIDENTS, params={"sysparm_query": query, "sysparm_limit": 10})
    noisy = servicenow.get(
        INCIDENTS,
        params={"sysparm_query": "no_such_field=1^gibberish^" + query, "sysparm_limit": 10},
    )

    assert noisy.status_code == 200
    assert noisy.json() == plain.json()
    assert noisy.headers["X-Total-Count"] == plain.headers["X-Total-Count"]


def test_general_encoded_queries(servicenow: httpx.Client, store: SimulatorStore) -> None:
    response = servicenow.get(
        INCIDENTS,
        params={
            "sysparm_query": "priority=1^ORpriority=2^active=true^ORDERBYDESCnumber",
            "sysparm_fields": "number,priority,active",
        },
    )

    expected = sorted(
        (
            i.number
            for i in store.incidents.ordered()
            if i.priority in ("1", "2") and i.value("active") == "true"
        ),
        reverse=True,
    )
    assert response.status_code == 200 and expected
    assert [r["number"] for r in response.json()["result"]] == expected
    by_ci = servicenow.get(
        INCIDENTS,
        params={"sysparm_query": f"cmdb_ci.name={LENDING_API_CI}", "sysparm_fields": "number"},
    )
    assert len(by_ci.json()["result"]) >= 3  # the scenario's incidents, and maybe noise


def test_empty_result_v1_is_404_v2_is_200(servicenow: httpx.Client) -> None:
    params = {"sysparm_query": "number=INC9999999"}

    default = servicenow.get(INCIDENTS, params=params)
    v2 = servicenow.get("/api/now/v2/table/incident", params=params)
    v1 = servicenow.get("/api/now/v1/table/incident", params=params)

    assert (default.status_code, default.json()) == (200, {"result": []})
    assert (v2.status_code, v2.json()) == (200, {"result": []})
    assert v1.status_code == 404
    assert v1.json()["error"]["message"] == "No Record found"
    assert v1.json()["status"] == "failure"


def test_single_record_and_unknown_table(servicenow: httpx.Client, store: SimulatorStore) -> None:
    incident = next(store.incidents.ordered())

    found = servicenow.get(f"{INCIDENTS}/{incident.sys_id}")
    missing = servicenow.get(f"{INCIDENTS}/{'0' * 32}")
    group = servicenow.get(found.json()["result"]["assignment_group"]["link"])
    bad_table = servicenow.get("/api/now/table/no_such_table")

    assert found.json()["result"]["number"] == incident.number
    assert missing.status_code == 404
    assert group.status_code == 200 and group.json()["result"]["name"]
    assert bad_table.status_code == 400


def test_authentication(server: SimulatorServer) -> None:
    base = server.base_url

    anonymous = httpx.get(f"{base}{INCIDENTS}")
    wrong = httpx.get(f"{base}{INCIDENTS}", auth=("admin", "nope"))
    bearer = httpx.get(f"{base}{INCIDENTS}", headers={"Authorization": "Bearer simulator-token"})

    for response in (anonymous, wrong):
        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "message": "User Not Authenticated",
                "detail": "Required to provide Auth information",
            },
            "status": "failure",
        }
    assert bearer.status_code == 200


def test_oauth_password_grant(server: SimulatorServer) -> None:
    form = {
        "grant_type": "password",
        "client_id": "cataligent",
        "client_secret": "cataligent-secret",
        "username": "admin",
        "password": "admin",
    }

    token = httpx.post(f"{server.base_url}/oauth_token.do", data=form).json()
    denied = httpx.post(f"{server.base_url}/oauth_token.do", data={**form, "password": "x"})
    used = httpx.get(
        f"{server.base_url}{INCIDENTS}",
        params={"sysparm_limit": 1},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )

    assert token["token_type"] == "Bearer" and token["expires_in"] == 1799
    assert denied.status_code == 401
    assert used.status_code == 200
