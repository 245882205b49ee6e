"""Tickets change over time, deterministically, and the demo story stays in place."""

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from integrations.simulator import LENDING_API_CI, SimulatorStore, make_server

from .conftest import JIRA_AUTH, NOW, SERVICENOW_AUTH, fixed_store

INCIDENTS = "/api/now/table/incident"


def snapshot(store: SimulatorStore) -> list[tuple[str, ...]]:
    return [
        (i.sys_id, i.number, i.state, i.priority, i.assignment_group, i.value("sys_updated_on"))
        for i in store.incidents.ordered()
    ]


def test_same_seed_same_tickets_and_changes() -> None:
    first, second = fixed_store(seed=11), fixed_store(seed=11)

    assert snapshot(first) == snapshot(second)
    changes = first.tick(at=NOW + timedelta(minutes=1), changes=30)
    assert changes == second.tick(at=NOW + timedelta(minutes=1), changes=30)
    assert snapshot(first) == snapshot(second)
    assert snapshot(first) != snapshot(fixed_store(seed=12))


def test_tick_makes_the_changes_an_incremental_sync_sees() -> None:
    store = fixed_store()
    later = NOW + timedelta(minutes=5)
    before = {i.sys_id: (i.reassignment_count, i.state) for i in store.incidents.ordered()}

    changes = store.tick(at=later, changes=60)

    actions = {c.action for c in changes}
    assert {"created", "reassigned", "resolved"} <= actions
    changed_numbers = {c.key for c in changes if c.source == "servicenow"}
    with make_server(store=store) as server:
        body = httpx.get(
            f"{server.base_url}{INCIDENTS}",
            params={
                "sysparm_query": "sys_updated_on>=2024-01-15 12:05:00^ORDERBYsys_updated_on",
                "sysparm_fields": "sys_id,number,reassignment_count,state",
            },
            auth=SERVICENOW_AUTH,
        ).json()
        jira_keys = {
            i["key"]
            for i in httpx.get(
                f"{server.base_url}/rest/api/3/search/jql",
                params={"jql": 'updated >= "2024/01/15 13:05"', "fields": "updated"},
                auth=JIRA_AUTH,
            ).json()["issues"]
        }
    assert {r["number"] for r in body["result"]} == changed_numbers
    reassigned = 0
    for record in body["result"]:
        change = [c for c in changes if c.key == record["number"]]
        if record["sys_id"] in before and any(c.action == "reassigned" for c in change):
            assert int(record["reassignment_count"]) > before[record["sys_id"]][0]
            reassigned += 1
    assert reassigned  # the check above ran
    assert jira_keys == {c.key for c in changes if c.source == "jira"}


def test_the_demo_story_stays_open_and_keeps_bouncing() -> None:
    store = fixed_store()
    lending_ci = store.reference_id("cmdb_ci", LENDING_API_CI)
    p1 = next(i for i in store.incidents.ordered() if i.cmdb_ci == lending_ci and i.priority == "1")
    bounced = p1.reassignment_count

    for minute in range(1, 40):
        store.tick(at=NOW + timedelta(minutes=minute), changes=25)

    assert p1.is_open and bounced >= 4
    assert p1.reassignment_count > bounced  # it kept bouncing
    others = [i for i in store.incidents.ordered() if i.cmdb_ci == lending_ci and not i.pinned]
    assert others and all(i.priority not in ("1", "2") for i in others)
    blocker = store.issue("LEND-1")
    assert blocker is not None and blocker.status == "Blocked"
    assert LENDING_API_CI in blocker.labels


def test_the_clock_drives_changes_while_serving() -> None:
    store = SimulatorStore(seed=5)
    store.preload(incidents=50, issues=10)
    versions = (store.incidents.version, store.jira.version)

    with make_server(store=store, mutate_every=0.05, changes_per_tick=5) as server:
        deadline = time.monotonic() + 5
        while (store.incidents.version, store.jira.version) == versions:
            assert time.monotonic() < deadline, "no change within 5 s"
            time.sleep(0.05)
        tick = httpx.post(f"{server.base_url}/_simulator/tick", params={"changes": 3})

    assert len(tick.json()["changes"]) == 3


def test_an_incremental_sync_across_ticks_ends_up_exact() -> None:
    """A keyset client (``sys_updated_on>T^NQsys_updated_on=T^sys_id>ID``) that pages while
    tickets change between its pages ends up with the latest version of every incident."""
    store = fixed_store(incidents=400)
    mirror: dict[str, str] = {}
    after = ("1970-01-01 00:00:00", "")
    with (
        make_server(store=store) as server,
        httpx.Client(base_url=server.base_url, auth=SERVICENOW_AUTH) as client,
    ):
        for step in range(1, 40):
            stamp, sys_id = after
            page = client.get(
                INCIDENTS,
                params={
                    "sysparm_query": (
                        f"sys_updated_on>{stamp}^NQsys_updated_on={stamp}^sys_id>{sys_id}"
                        "^ORDERBYsys_updated_on^ORDERBYsys_id"
                    ),
                    "sysparm_fields": "sys_id,sys_updated_on",
                    "sysparm_limit": 25,
                },
            ).json()["result"]
            for record in page:
                mirror[record["sys_id"]] = record["sys_updated_on"]
            if page:
                after = (page[-1]["sys_updated_on"], page[-1]["sys_id"])
            # Changes land between pages, stamped later than anything read so far.
            store.tick(at=NOW + timedelta(minutes=step), changes=4)
        # Drain what the last ticks changed.
        while page := client.get(
            INCIDENTS,
            params={
                "sysparm_query": (
                    f"sys_updated_on>{after[0]}^NQsys_updated_on={after[0]}^sys_id>{after[1]}"
                    "^ORDERBYsys_updated_on^ORDERBYsys_id"
                ),
                "sysparm_fields": "sys_id,sys_updated_on",
                "sysparm_limit": 25,
            },
        ).json()["result"]:
            for record in page:
                mirror[record["sys_id"]] = record["sys_updated_on"]
            after = (page[-1]["sys_updated_on"], page[-1]["sys_id"])

    assert mirror == {i.sys_id: i.value("sys_updated_on") for i in store.incidents.ordered()}


def test_keyset_query_uses_the_index_like_the_generic_path(store: SimulatorStore) -> None:
    """The bisected keyset page equals what the general query evaluator selects."""
    from integrations.simulator.encoded_query import parse_encoded_query

    middle = list(store.incidents.ordered())[100]
    stamp = middle.value("sys_updated_on")
    text = (
        f"sys_updated_on>{stamp}^NQsys_updated_on={stamp}^sys_id>{middle.sys_id}"
        "^ORDERBYsys_updated_on"
    )
    query = parse_encoded_query(text, store.incidents, store, ZoneInfo("UTC"))

    window = query.index_range(store.incidents)

    assert window is not None
    expected = [
        i.sys_id
        for i in store.incidents.ordered()
        if (i.value("sys_updated_on"), i.sys_id) > (stamp, middle.sys_id)
    ]
    assert [r.sys_id for r in store.incidents.rows(*window)] == expected
