"""Approvals (F7.2): apply, decide step by step, comment, withdraw, who sees what, live updates."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.fixtures.graphql import bell, mutation_of, result, succeeded
from tests.fixtures.live import settle, subscribed
from tests.fixtures.users import uid
from tests.graphql_client import GraphQLClient
from tests.ws_client import LiveClient, live_client

NOW = "2026-03-02T09:00:00+00:00"

APPROVAL = """id applicantId type title content amount startsOn endsOn status currentStep
  decidedAt steps { step approverId decision comment decidedAt }
  history { actorId action step comment actor { loginName } }"""
RESULT = (
    "__typename ... on ApprovalSuccess { approval { " + APPROVAL + " } }"
    " ... on Error { code message field }"
    " ... on InvalidInputError { problems { field message } }"
)
APPLY = mutation_of("$input: ApprovalInput!", "applyForApproval(input: $input)", RESULT)
APPROVE = mutation_of("$id: Int!, $c: String", "approve(id: $id, comment: $c)", RESULT)
REJECT = mutation_of("$id: Int!, $c: String", "reject(id: $id, comment: $c)", RESULT)
COMMENT = mutation_of("$id: Int!, $c: String!", "commentOnApproval(id: $id, comment: $c)", RESULT)
WITHDRAW = mutation_of("$id: Int!", "withdrawApproval(id: $id)", RESULT)
ONE = "query($id: Int!) { approval(id: $id) { " + APPROVAL + " } }"
LIST = """query($status: ApprovalStatus, $awaitingMe: Boolean! = false) {
  approvals(status: $status, awaitingMe: $awaitingMe) { totalCount edges { node { id } } } }"""
LIVE_BELL = """subscription { notifications {
  notification { id category kind title body linkType linkId }
  unreadCounts { personal system total } } }"""
UPDATES = """subscription($id: Int) { approvalUpdates(approvalId: $id) {
  action actorId approval { id applicantId status currentStep } } }"""
SET_ACTIVE = (
    "mutation($id: Int!, $on: Boolean!) { setUserActive(id: $id, active: $on) { __typename } }"
)


def leave(*approvers: GraphQLClient | int, **overrides: Any) -> dict[str, Any]:
    ids = [a if isinstance(a, int) else uid(a) for a in approvers]
    application: dict[str, Any] = {
        "type": "LEAVE",
        "title": "Two days off",
        "content": "Family visit.",
        "approverIds": ids,
        "startsOn": "2026-03-10",
        "endsOn": "2026-03-11",
    }
    application.update(overrides)
    return application


async def apply(client: GraphQLClient, application: dict[str, Any]) -> dict[str, Any]:
    return await result(client, APPLY, input=application)


async def applied(client: GraphQLClient, application: dict[str, Any]) -> dict[str, Any]:
    return succeeded(await apply(client, application), "ApprovalSuccess", "approval")


async def fetch(client: GraphQLClient, approval_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await client.data(ONE, id=approval_id))["approval"]
    return found


async def visible_ids(client: GraphQLClient, **filters: Any) -> list[int]:
    page = (await client.data(LIST, **filters))["approvals"]
    assert page["totalCount"] == len(page["edges"])
    return [edge["node"]["id"] for edge in page["edges"]]


def history(approval: dict[str, Any]) -> list[tuple[str, str, int | None, str | None]]:
    return [
        (h["actor"]["loginName"], h["action"], h["step"], h["comment"]) for h in approval["history"]
    ]


def decisions(approval: dict[str, Any]) -> list[tuple[int, str | None, str | None]]:
    return [(s["approverId"], s["decision"], s["comment"]) for s in approval["steps"]]


# ---- the required path: apply, notify, decide, notify --------------------------------------


async def test_apply_notifies_the_approver_and_the_decision_notifies_the_applicant(
    app: Starlette, sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    async with subscribed(app, LIVE_BELL, manager1, sales1) as (approver_bell, applicant_bell):
        approval = await applied(sales1, leave(manager1))
        assert approval["status"] == "PENDING"
        assert approval["currentStep"] == 1
        assert approval["applicantId"] == uid(sales1)
        assert decisions(approval) == [(uid(manager1), None, None)]
        assert history(approval) == [("sales1", "SUBMIT", None, None)]

        push = (await approver_bell.next_data())["notifications"]
        expected = {
            "category": "PERSONAL",
            "kind": "approval",
            "title": "Wang Wei asks for your approval",
            "body": "Two days off",
            "linkType": "approval",
            "linkId": approval["id"],
        }
        assert push["notification"] == {"id": push["notification"]["id"], **expected}
        assert push["unreadCounts"] == {"personal": 1, "system": 0, "total": 1}
        assert await applicant_bell.nothing_within(0.1)
        stored, counts = await bell(manager1)
        assert stored == [{**expected, "id": push["notification"]["id"], "readAt": None}]
        assert counts == {"personal": 1, "system": 0, "total": 1}
        assert await bell(sales1) == ([], {"personal": 0, "system": 0, "total": 0})

        decided = await result(manager1, APPROVE, id=approval["id"], c="Enjoy.")
        assert decided["__typename"] == "ApprovalSuccess", decided
        assert decided["approval"]["status"] == "APPROVED"
        assert decided["approval"]["decidedAt"] == NOW

        push = (await applicant_bell.next_data())["notifications"]
        assert push["notification"]["title"] == "Your application was approved"
        assert push["notification"]["linkId"] == approval["id"]
        assert push["notification"]["kind"] == "approval"
        assert push["unreadCounts"] == {"personal": 1, "system": 0, "total": 1}
        assert await approver_bell.nothing_within(0.1)

    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert after["status"] == "APPROVED"
    assert after["currentStep"] == 1
    assert decisions(after) == [(uid(manager1), "APPROVE", "Enjoy.")]
    assert after["steps"][0]["decidedAt"] == NOW
    assert history(after) == [
        ("sales1", "SUBMIT", None, None),
        ("manager1", "APPROVE", 1, "Enjoy."),
    ]
    notes, counts = await bell(sales1)
    assert [(n["kind"], n["title"], n["linkId"]) for n in notes] == [
        ("approval", "Your application was approved", approval["id"])
    ]
    assert counts == {"personal": 1, "system": 0, "total": 1}
    assert len((await bell(manager1))[0]) == 1  # the approver heard nothing more


async def _unchanged(
    client: GraphQLClient, approval_id: int, approvers: list[int], applicant: GraphQLClient
) -> None:
    """The application is still pending at step 1, undecided, and nobody heard of a decision."""
    after = await fetch(client, approval_id)
    assert after is not None
    assert after["status"] == "PENDING"
    assert after["currentStep"] == 1
    assert after["decidedAt"] is None
    assert decisions(after) == [(a, None, None) for a in approvers]
    assert history(after) == [("sales1", "SUBMIT", None, None)]
    assert await bell(applicant) == ([], {"personal": 0, "system": 0, "total": 0})


async def test_a_later_step_approver_cannot_decide_out_of_turn(
    sales1: GraphQLClient, manager1: GraphQLClient, sales2: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1, sales2))
    for mutation in (APPROVE, REJECT):
        refused = await result(sales2, mutation, id=approval["id"], c="me first")
        assert refused["__typename"] == "ConflictError", refused
        assert refused["code"] == "CONFLICT"
        assert refused["field"] == "id"
        assert "current step" in refused["message"]
    await _unchanged(sales1, approval["id"], [uid(manager1), uid(sales2)], sales1)
    assert await bell(sales2) == ([], {"personal": 0, "system": 0, "total": 0})


async def test_a_manager_who_sees_the_application_cannot_decide_for_its_approver(
    sales1: GraphQLClient, manager1: GraphQLClient, sales3: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(sales3))
    assert await fetch(manager1, approval["id"]) is not None  # manager1 sees it (scope)
    for mutation in (APPROVE, REJECT):
        refused = await result(manager1, mutation, id=approval["id"], c=None)
        assert refused["__typename"] == "ConflictError", refused
        assert refused["code"] == "CONFLICT"
        assert refused["field"] == "id"
    await _unchanged(manager1, approval["id"], [uid(sales3)], sales1)
    assert await visible_ids(sales3, awaitingMe=True) == [approval["id"]]


async def test_an_uninvolved_colleague_deciding_is_told_the_application_does_not_exist(
    sales1: GraphQLClient, manager1: GraphQLClient, sales2: GraphQLClient
) -> None:
    # sales2 is neither applicant, approver nor a manager of sales1: the application is not
    # visible to them, so the refusal is NOT_FOUND (it does not even reveal that it exists).
    approval = await applied(sales1, leave(manager1))
    for mutation in (APPROVE, REJECT):
        refused = await result(sales2, mutation, id=approval["id"], c=None)
        assert refused["__typename"] == "NotFoundError", refused
        assert refused["code"] == "NOT_FOUND"
    missing = await result(manager1, APPROVE, id=approval["id"] + 1000, c=None)
    assert missing["__typename"] == "NotFoundError"
    await _unchanged(sales1, approval["id"], [uid(manager1)], sales1)


async def test_an_approver_decides_only_once(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1))
    assert (await result(manager1, APPROVE, id=approval["id"], c="ok"))["__typename"] == (
        "ApprovalSuccess"
    )
    for mutation in (APPROVE, REJECT):
        again = await result(manager1, mutation, id=approval["id"], c="changed my mind")
        assert again["__typename"] == "ConflictError", again
        assert again["code"] == "CONFLICT"
        assert "already approved" in again["message"]
    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert after["status"] == "APPROVED"
    assert decisions(after) == [(uid(manager1), "APPROVE", "ok")]
    assert history(after) == [
        ("sales1", "SUBMIT", None, None),
        ("manager1", "APPROVE", 1, "ok"),
    ]
    notes, counts = await bell(sales1)
    assert [n["title"] for n in notes] == ["Your application was approved"]
    assert counts["personal"] == 1


async def test_two_steps_approve_then_reject(
    sales1: GraphQLClient, manager1: GraphQLClient, sales2: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1, sales2))
    assert await visible_ids(manager1, awaitingMe=True) == [approval["id"]]
    assert await visible_ids(sales2, awaitingMe=True) == []
    assert (await bell(sales2))[0] == []

    first = await result(manager1, APPROVE, id=approval["id"], c="Fine by me")
    assert first["__typename"] == "ApprovalSuccess", first
    assert first["approval"]["status"] == "PENDING"
    assert first["approval"]["currentStep"] == 2
    assert first["approval"]["decidedAt"] is None

    notes, counts = await bell(sales2)
    assert [(n["kind"], n["title"], n["linkId"]) for n in notes] == [
        ("approval", "An application awaits your approval", approval["id"])
    ]
    assert counts == {"personal": 1, "system": 0, "total": 1}
    notes, _ = await bell(sales1)
    assert [n["title"] for n in notes] == ["Your application was approved at step 1"]
    assert await visible_ids(manager1, awaitingMe=True) == []
    assert await visible_ids(sales2, awaitingMe=True) == [approval["id"]]

    second = await result(sales2, REJECT, id=approval["id"], c="We are short-staffed")
    assert second["__typename"] == "ApprovalSuccess", second
    assert second["approval"]["status"] == "REJECTED"
    assert second["approval"]["currentStep"] == 2
    assert second["approval"]["decidedAt"] == NOW

    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert after["status"] == "REJECTED"
    assert decisions(after) == [
        (uid(manager1), "APPROVE", "Fine by me"),
        (uid(sales2), "REJECT", "We are short-staffed"),
    ]
    assert history(after) == [
        ("sales1", "SUBMIT", None, None),
        ("manager1", "APPROVE", 1, "Fine by me"),
        ("sales2", "REJECT", 2, "We are short-staffed"),
    ]
    notes, counts = await bell(sales1)
    assert [n["title"] for n in notes] == [
        "Your application was rejected",
        "Your application was approved at step 1",
    ]
    assert counts == {"personal": 2, "system": 0, "total": 2}
    assert len((await bell(manager1))[0]) == 1  # only the original request
    assert await visible_ids(sales2, awaitingMe=True) == []
    assert await visible_ids(sales1, status="REJECTED") == [approval["id"]]
    assert await visible_ids(sales1, status="PENDING") == []


# ---- withdraw ---------------------------------------------------------------------------------


async def test_only_the_applicant_withdraws_and_only_while_pending(
    sales1: GraphQLClient, manager1: GraphQLClient, sales2: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1, sales2))
    for who in (manager1, sales2):  # the approver, a later approver (and manager1's scope)
        refused = await result(who, WITHDRAW, id=approval["id"])
        assert refused["__typename"] == "ConflictError", refused
        assert "Only the applicant" in refused["message"]
    await _unchanged(sales1, approval["id"], [uid(manager1), uid(sales2)], sales1)

    done = await result(sales1, WITHDRAW, id=approval["id"])
    assert done["__typename"] == "ApprovalSuccess", done
    assert done["approval"]["status"] == "WITHDRAWN"
    assert done["approval"]["decidedAt"] == NOW
    notes, _ = await bell(manager1)
    assert [n["title"] for n in notes] == [
        "An application was withdrawn",
        "Wang Wei asks for your approval",
    ]
    assert (await bell(sales2))[0] == []  # step 2 was never reached

    for mutation, variables in (
        (WITHDRAW, {}),
        (APPROVE, {"c": None}),
        (REJECT, {"c": None}),
    ):
        client = sales1 if mutation is WITHDRAW else manager1
        again = await result(client, mutation, id=approval["id"], **variables)
        assert again["__typename"] == "ConflictError", again
        assert "already withdrawn" in again["message"]
    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert after["status"] == "WITHDRAWN"
    assert decisions(after) == [(uid(manager1), None, None), (uid(sales2), None, None)]
    assert history(after) == [
        ("sales1", "SUBMIT", None, None),
        ("sales1", "WITHDRAW", None, None),
    ]
    assert len((await bell(manager1))[0]) == 2


async def test_a_decided_application_cannot_be_withdrawn(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1))
    await result(manager1, APPROVE, id=approval["id"], c=None)
    refused = await result(sales1, WITHDRAW, id=approval["id"])
    assert refused["__typename"] == "ConflictError", refused
    assert "already approved" in refused["message"]
    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert after["status"] == "APPROVED"
    assert [h[1] for h in history(after)] == ["SUBMIT", "APPROVE"]
    assert len((await bell(manager1))[0]) == 1


# ---- comments -----------------------------------------------------------------------------


async def test_comments_appear_in_the_history_in_order_with_their_actors(
    sales1: GraphQLClient, manager1: GraphQLClient, sales3: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1))
    for who, text in (
        (sales1, "I will hand over my customers."),
        (manager1, "Who covers Acme?"),
        (sales1, "sales2 does."),
    ):
        answer = await result(who, COMMENT, id=approval["id"], c=text)
        assert answer["__typename"] == "ApprovalSuccess", answer
    await result(manager1, APPROVE, id=approval["id"], c="Approved.")

    for refused, code in (
        (await result(sales1, COMMENT, id=approval["id"], c="   "), "INVALID_INPUT"),
        (await result(sales3, COMMENT, id=approval["id"], c="Me too"), "NOT_FOUND"),
    ):
        assert refused["code"] == code, refused
    invalid = await result(manager1, COMMENT, id=approval["id"], c="")
    assert invalid["__typename"] == "InvalidInputError"
    assert invalid["field"] == "comment"
    assert invalid["problems"] == [{"field": "comment", "message": "must not be empty"}]

    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert history(after) == [
        ("sales1", "SUBMIT", None, None),
        ("sales1", "COMMENT", None, "I will hand over my customers."),
        ("manager1", "COMMENT", None, "Who covers Acme?"),
        ("sales1", "COMMENT", None, "sales2 does."),
        ("manager1", "APPROVE", 1, "Approved."),
    ]
    assert [h["actorId"] for h in after["history"]] == [
        uid(sales1),
        uid(sales1),
        uid(manager1),
        uid(sales1),
        uid(manager1),
    ]
    assert after["status"] == "APPROVED"


# ---- input rules --------------------------------------------------------------------------

_OTHER = {"type": "CUSTOM", "startsOn": None, "endsOn": None}
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("leave without dates", {"startsOn": None, "endsOn": None}, "startsOn"),
    ("leave without an end", {"endsOn": None}, "startsOn"),
    ("trip ending before it starts", {"type": "BUSINESS_TRIP", "endsOn": "2026-03-09"}, "endsOn"),
    ("reimbursement without amount", {**_OTHER, "type": "REIMBURSEMENT"}, "amount"),
    ("expense of zero", {**_OTHER, "type": "EXPENSE", "amount": "0"}, "amount"),
    ("negative expense", {**_OTHER, "type": "EXPENSE", "amount": "-12.00"}, "amount"),
    ("three decimals", {**_OTHER, "type": "REIMBURSEMENT", "amount": "12.345"}, "amount"),
    ("empty title", {"title": "  "}, "title"),
    ("no approver", {"approverIds": []}, "approverIds"),
    ("eleven steps", {"approverIds": list(range(1000, 1011))}, "approverIds"),
    ("unknown approver", {"approverIds": [987654]}, "approverIds"),
]


@pytest.mark.parametrize(
    ("overrides", "field"), [(o, f) for _, o, f in INVALID], ids=[n for n, _, _ in INVALID]
)
async def test_invalid_applications_are_refused_and_nothing_is_created(
    sales1: GraphQLClient, manager1: GraphQLClient, overrides: dict[str, Any], field: str
) -> None:
    refused = await apply(sales1, leave(manager1, **overrides))
    assert refused["__typename"] == "InvalidInputError", refused
    assert refused["code"] == "INVALID_INPUT"
    assert refused["field"] == field
    assert [p["field"] for p in refused["problems"]] == [field]
    assert await visible_ids(sales1) == []
    assert await visible_ids(manager1) == []
    assert (await bell(manager1))[0] == []


async def test_own_and_deactivated_approvers_are_refused(
    sales1: GraphQLClient, manager1: GraphQLClient, sales2: GraphQLClient, admin: GraphQLClient
) -> None:
    own = await apply(sales1, leave(manager1, sales1))
    assert own["__typename"] == "InvalidInputError", own
    assert own["field"] == "approverIds"
    assert "own application" in own["message"]

    await admin.data(SET_ACTIVE, id=uid(sales2), on=False)
    inactive = await apply(sales1, leave(manager1, sales2))
    assert inactive["__typename"] == "InvalidInputError", inactive
    assert inactive["field"] == "approverIds"
    assert inactive["message"] == f"approverIds: no active user with id {uid(sales2)}"
    assert await visible_ids(sales1) == []
    assert (await bell(manager1))[0] == []


async def test_boundary_applications_are_accepted(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    same_day = await applied(sales1, leave(manager1, endsOn="2026-03-10"))
    assert (same_day["startsOn"], same_day["endsOn"]) == ("2026-03-10", "2026-03-10")
    money = await applied(
        sales1, leave(manager1, **{**_OTHER, "type": "EXPENSE", "amount": "12.50"})
    )
    assert money["type"] == "EXPENSE"
    stored = await fetch(sales1, money["id"])
    assert stored is not None
    assert stored["amount"] == "12.50"
    assert await visible_ids(sales1) == [money["id"], same_day["id"]]


@pytest.mark.parametrize(
    "amount",
    [
        pytest.param("NaN", id="not a number"),
        pytest.param("Infinity", id="infinite"),
        pytest.param("1E+20", id="too large for the column"),
    ],
)
async def test_an_amount_that_cannot_be_stored_is_invalid_input(
    sales1: GraphQLClient, manager1: GraphQLClient, amount: str
) -> None:
    body = await sales1.execute(
        APPLY, input=leave(manager1, **{**_OTHER, "type": "EXPENSE", "amount": amount})
    )
    assert body.get("errors") is None, body["errors"]
    assert body["data"]["result"]["__typename"] == "InvalidInputError"
    assert body["data"]["result"]["field"] == "amount"
    assert await visible_ids(sales1) == []


async def test_apply_returns_the_amount_as_stored(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    made = await applied(sales1, leave(manager1, **{**_OTHER, "type": "EXPENSE", "amount": "1E+2"}))
    stored = await fetch(sales1, made["id"])
    assert stored is not None
    assert stored["amount"] == "100.00"
    assert made["amount"] == stored["amount"]


# ---- who sees what ------------------------------------------------------------------------


async def test_visibility_applicant_approvers_and_managers_in_scope(
    admin: GraphQLClient,
    manager1: GraphQLClient,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    sales3: GraphQLClient,
) -> None:
    of_sales1 = await applied(sales1, leave(admin))
    of_sales3 = await applied(sales3, leave(admin))
    to_sales2 = await applied(sales3, leave(manager1, sales2))

    assert await visible_ids(sales1) == [of_sales1["id"]]
    assert await visible_ids(sales3) == [to_sales2["id"], of_sales3["id"]]
    # manager1: sales1 is in their scope; sales3 is not, but they approve to_sales2.
    assert await visible_ids(manager1) == [to_sales2["id"], of_sales1["id"]]
    assert await visible_ids(sales2) == [to_sales2["id"]]  # a later-step approver sees it
    assert await visible_ids(admin) == [to_sales2["id"], of_sales3["id"], of_sales1["id"]]

    assert await fetch(manager1, of_sales1["id"]) is not None
    assert await fetch(manager1, of_sales3["id"]) is None
    for hidden in (of_sales1, of_sales3):
        assert await fetch(sales2, hidden["id"]) is None
    assert await fetch(sales1, of_sales3["id"]) is None
    assert await fetch(sales3, of_sales1["id"]) is None

    assert await visible_ids(admin, awaitingMe=True) == [of_sales3["id"], of_sales1["id"]]
    assert await visible_ids(manager1, awaitingMe=True) == [to_sales2["id"]]
    assert await visible_ids(sales2, awaitingMe=True) == []
    assert await visible_ids(sales1, awaitingMe=True) == []

    await result(admin, APPROVE, id=of_sales1["id"], c=None)
    assert await visible_ids(admin, awaitingMe=True) == [of_sales3["id"]]
    assert await visible_ids(admin, status="APPROVED") == [of_sales1["id"]]
    assert await visible_ids(manager1, status="APPROVED") == [of_sales1["id"]]
    assert await visible_ids(manager1, status="PENDING") == [to_sales2["id"]]
    assert await visible_ids(sales2, status="APPROVED") == []


# ---- live approval updates ------------------------------------------------------------------


def _update(push: dict[str, Any]) -> tuple[str, int, int, str, int]:
    u = push["approvalUpdates"]
    return (
        u["action"],
        u["actorId"],
        u["approval"]["id"],
        u["approval"]["status"],
        u["approval"]["currentStep"],
    )


async def test_live_approval_updates_reach_those_who_may_see_the_application(
    app: Starlette,
    sales1: GraphQLClient,
    sales2: GraphQLClient,
    manager1: GraphQLClient,
    sales3: GraphQLClient,
    admin: GraphQLClient,
) -> None:
    earlier = await applied(sales1, leave(admin, title="Earlier"))
    async with (
        live_client(app, sales1.token) as applicant,
        live_client(app, sales2.token) as approver,
        live_client(app, manager1.token) as manager,
        live_client(app, sales3.token) as outsider,
        live_client(app, admin.token) as follower,
    ):
        watchers: list[LiveClient] = [applicant, approver, manager, outsider]
        for live in watchers:
            await live.subscribe(UPDATES)
        await follower.subscribe(UPDATES, id=earlier["id"])
        await settle()

        approval = await applied(sales1, leave(sales2))
        submitted = ("SUBMIT", uid(sales1), approval["id"], "PENDING", 1)
        for live in (applicant, approver, manager):
            assert _update(await live.next_data()) == submitted
        assert await outsider.nothing_within(0.2)
        assert await follower.nothing_within(0.01)  # filtered out: another approval

        await result(sales2, APPROVE, id=approval["id"], c=None)
        approved = ("APPROVE", uid(sales2), approval["id"], "APPROVED", 1)
        for live in (applicant, approver, manager):
            assert _update(await live.next_data()) == approved

        await result(admin, REJECT, id=earlier["id"], c="No.")
        rejected = ("REJECT", uid(admin), earlier["id"], "REJECTED", 1)
        assert _update(await follower.next_data()) == rejected
        for live in (applicant, manager):  # sales1's own application, in manager1's scope
            assert _update(await live.next_data()) == rejected
        assert await approver.nothing_within(0.2)  # sales2 has nothing to do with it
        assert await outsider.nothing_within(0.01)
        assert await follower.nothing_within(0.01)


async def test_simultaneous_decisions_by_the_approver_count_once(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    approval = await applied(sales1, leave(manager1))
    results = await asyncio.gather(
        result(manager1, APPROVE, id=approval["id"], c="first"),
        result(manager1, REJECT, id=approval["id"], c="second"),
        result(manager1, APPROVE, id=approval["id"], c="third"),
    )
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["ApprovalSuccess", "ConflictError", "ConflictError"], results
    [winner] = [r for r in results if r["__typename"] == "ApprovalSuccess"]
    after = await fetch(sales1, approval["id"])
    assert after is not None
    assert after["status"] == winner["approval"]["status"]
    assert [h[1] for h in history(after)] == ["SUBMIT", after["steps"][0]["decision"]]
    assert len((await bell(sales1))[0]) == 1


async def test_an_approver_named_twice_is_invalid_input(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    answer = await apply(sales1, leave(manager1, manager1))
    assert answer["__typename"] == "InvalidInputError", answer
    assert answer["field"] == "approverIds"
    assert await visible_ids(sales1) == []


async def test_an_amount_beyond_any_column_is_invalid_input(
    sales1: GraphQLClient, manager1: GraphQLClient
) -> None:
    answer = await apply(
        sales1, leave(manager1, type="EXPENSE", amount="1e29", startsOn=None, endsOn=None)
    )
    assert (answer["__typename"], answer["field"]) == ("InvalidInputError", "amount")
