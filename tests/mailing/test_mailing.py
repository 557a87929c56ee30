"""E-mail and SMS to customers' contacts: chosen by the customer list's filters within scope,
previewed (masked), queued one outbox row per recipient, sent through a real local SMTP
server (aiosmtpd) or HTTP SMS provider, retried, counted, and recorded in each customer's
history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette

from gql_crm.clock import FrozenClock
from gql_crm.db.models import Contact, OperationLog, Pool
from gql_crm.db.models.mailing import Mailing
from gql_crm.db.models.outbox import OutboxMessage, OutboxStatus
from gql_crm.services import outbox, sending
from gql_crm.services.reminder import send_reminders
from gql_crm.services.unit_of_work import Services
from tests.fixtures.factories import add_customer, count, select_rows
from tests.fixtures.graphql import result
from tests.fixtures.live import subscribed
from tests.fixtures.receiver import Receiver, receiving
from tests.fixtures.smtp import SmtpServer, smtp_server
from tests.fixtures.statements import count_statements
from tests.fixtures.users import user_ids
from tests.graphql_client import GraphQLClient

ERRORS = (
    "... on Error { code message field } ... on InvalidInputError { problems { field message } }"
)
MAILING = """id channel queued skippedNoAddress skippedDuplicate skippedOptedOut
  counts { queued sending sent failed bounced }"""
SEND = f"""mutation($audience: AudienceInput!, $draft: MessageDraftInput!, $sendAt: DateTime) {{
  result: sendMailing(audience: $audience, draft: $draft, sendAt: $sendAt) {{ __typename
  ... on MailingSuccess {{ mailing {{ {MAILING} }} }} {ERRORS} }} }}"""
SEND_ONE = f"""mutation($contactId: Int!, $draft: MessageDraftInput!) {{
  result: sendContactMessage(contactId: $contactId, draft: $draft) {{ __typename
  ... on MailingSuccess {{ mailing {{ {MAILING} }} }} {ERRORS} }} }}"""
RESEND = f"""mutation($id: Int!) {{ result: resendFailedMessages(id: $id) {{ __typename
  ... on MailingSuccess {{ mailing {{ {MAILING} }} }} {ERRORS} }} }}"""
PREVIEW = """query($audience: AudienceInput!, $draft: MessageDraftInput!) {
  messagePreview(audience: $audience, draft: $draft) { recipients skippedNoAddress
  skippedDuplicate skippedOptedOut samples { customerId to subject body } } }"""
COUNTS = f"{{ mailings(first: 10) {{ edges {{ node {{ {MAILING} }} }} }} }}"
RECIPIENTS = """query($id: Int!, $status: DeliveryStatus) { mailingRecipients(mailingId: $id,
  status: $status, first: 50) { edges { node { to status lastError customerId body } } } }"""
OPT_OUT = f"""mutation($contactId: Int!) {{ result: setContactOptOut(contactId: $contactId,
  channel: EMAIL, optedOut: true) {{ __typename ... on DoneSuccess {{ id }} {ERRORS} }} }}"""
LIMIT = f"""mutation($userId: Int!, $limit: Int) {{ result: setMessageDailyLimit(userId: $userId,
  limit: $limit) {{ __typename ... on DoneSuccess {{ id }} {ERRORS} }} }}"""
CREATE = """mutation($name: String!, $contacts: [ContactInput!]) { createCustomer(
  input: {name: $name, maturityId: 1}, contacts: $contacts) { ... on CustomerSuccess {
  customer { id contacts { id name } } } } }"""
EMAIL = {"channel": "EMAIL", "subject": "News for {customer_name}",
         "body": "Dear {contact_name}, greetings from {owner_name}."}  # fmt: skip
EVERYONE: dict[str, Any] = {"filter": {}}


@pytest.fixture
def smtp(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        monkeypatch.setattr(services.settings, "smtp_host", "127.0.0.1")
        monkeypatch.setattr(services.settings, "smtp_port", server.port)
        yield server


@pytest.fixture
async def provider(services: Services, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Receiver]:
    async with receiving() as receiver:
        monkeypatch.setattr(services.settings, "sms_provider", "http")
        monkeypatch.setattr(services.settings, "sms_url", receiver.url("/sms"))
        yield receiver


async def customer(client: GraphQLClient, name: str, *contacts: dict[str, Any]) -> dict[str, Any]:
    given = [{"isPrimary": n == 0, **c} for n, c in enumerate(contacts)]
    made = await client.data(CREATE, name=name, contacts=given)
    found: dict[str, Any] = made["createCustomer"]["customer"]
    return found


async def three_customers(sales1: GraphQLClient, sales3: GraphQLClient) -> None:
    """sales1's (manager1's department): two reachable, one without an e-mail, one address
    twice; sales3's is in another department."""
    ann = {"name": "Ann", "email": "ann@acme.test", "mobile": "13900000001"}
    await customer(sales1, "Acme", ann, {"name": "Bob", "email": "bob@acme.test"})
    await customer(sales1, "Beta", {"name": "Cy", "email": "ANN@acme.test"})
    await customer(sales1, "Gamma", {"name": "Di", "mobile": "13900000002"})
    await customer(sales3, "Delta", {"name": "Ed", "email": "ed@delta.test"})


async def test_a_manager_emails_the_primary_contacts_in_scope_and_sees_them_sent(
    sales1: GraphQLClient, sales3: GraphQLClient, manager1: GraphQLClient,
    services: Services, smtp: SmtpServer,
) -> None:  # fmt: skip
    await three_customers(sales1, sales3)
    preview = (await manager1.data(PREVIEW, audience=EVERYONE, draft=EMAIL))["messagePreview"]
    assert (preview["recipients"], preview["skippedNoAddress"], preview["skippedDuplicate"]) == (
        1, 1, 1,
    )  # fmt: skip
    [sample] = preview["samples"]
    assert sample["to"] == "ann@acme.test"  # manager1 may see contact details
    assert sample["subject"] == "News for Acme"
    assert sample["body"] == "Dear Ann, greetings from Wang Wei."

    all_contacts = {"filter": {}, "allContacts": True}
    sent = await result(manager1, SEND, audience=all_contacts, draft=EMAIL)
    mailing = sent["mailing"]
    assert (mailing["queued"], mailing["skippedDuplicate"]) == (2, 1), mailing
    assert mailing["counts"] == {"queued": 2, "sending": 0, "sent": 0, "failed": 0, "bounced": 0}
    assert await outbox.deliver_due(services) == 2

    received = sorted(str(m["To"]) for m in smtp.messages)
    assert received == ["ann@acme.test", "bob@acme.test"]
    keys = await select_rows(services, OutboxMessage.key, order_by=[OutboxMessage.id])
    assert sorted(smtp.message_ids()) == sorted(k for (k,) in keys)
    [node] = [e["node"] for e in (await manager1.data(COUNTS))["mailings"]["edges"]]
    assert node["counts"] == {"queued": 0, "sending": 0, "sent": 2, "failed": 0, "bounced": 0}
    history = await select_rows(
        services, OperationLog.entity_id, where=[OperationLog.action == "message_sent"]
    )
    assert len(history) == 2 and len(set(history)) == 1  # both contacts are Acme's


async def test_refusals_retry_then_fail_with_the_reason_and_can_be_sent_again(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services, smtp: SmtpServer,
    clock: FrozenClock,
) -> None:  # fmt: skip
    await customer(sales1, "Acme", {"name": "Ann", "email": "ann@acme.test"})
    smtp.refuse_with = "451 4.3.0 try again later"
    mailing = (await result(manager1, SEND, audience=EVERYONE, draft=EMAIL))["mailing"]
    for delay in sending.RETRY_DELAYS:
        assert await outbox.deliver_due(services) == 1
        clock.advance(delay)
    assert await outbox.deliver_due(services) == 1
    [(status, error)] = await select_rows(services, OutboxMessage.status, OutboxMessage.last_error)
    assert status is OutboxStatus.FAILED and "451" in error
    assert smtp.messages == []

    manager = await manager1.as_user("manager1")  # the clock moved past the sign-in
    resent = await result(manager, RESEND, id=mailing["id"])
    assert resent["mailing"]["counts"]["queued"] == 1, resent
    smtp.refuse_with = None
    await outbox.deliver_due(services)
    assert len(smtp.messages) == 1


async def test_a_refused_recipient_bounces_at_once_and_is_never_sent_again(
    app: Starlette, sales1: GraphQLClient, manager1: GraphQLClient, services: Services,
    smtp: SmtpServer, clock: FrozenClock,
) -> None:  # fmt: skip
    acme = await customer(sales1, "Acme", {"name": "Ann", "email": "ann@acme.test"})
    await customer(sales1, "Beta", {"name": "Cy", "email": "cy@beta.test"})
    await customer(sales1, "Gamma", {"name": "Di", "email": "di@gamma.test"})
    smtp.refused_recipients["ann@acme.test"] = "550 5.1.1 <ann@acme.test>: no such user"
    async with subscribed(app, PROGRESS_ALL, manager1) as (watcher,):
        mailing = (await result(manager1, SEND, audience=EVERYONE, draft=EMAIL))["mailing"]
        smtp.refuse_with = "451 4.3.0 try again later"  # DATA, for now: Beta and Gamma retry
        assert await outbox.deliver_due(services) == 3
        settled = {"queued": 2, "sending": 0, "sent": 0, "failed": 0, "bounced": 1}
        pushed = [(await watcher.next_data())["mailingProgress"]["counts"]]
        while pushed[-1] != settled and len(pushed) < 3:  # one push per settled batch
            pushed.append((await watcher.next_data())["mailingProgress"]["counts"])
    assert pushed[-1] == settled, pushed
    recipients = await manager1.data(RECIPIENTS, id=mailing["id"], status="BOUNCED")
    [node] = [e["node"] for e in recipients["mailingRecipients"]["edges"]]
    assert node["lastError"].startswith("bounced: 550 5.1.1") and node["to"] == "ann@acme.test"
    history = await select_rows(
        services, OperationLog.entity_id, where=[OperationLog.action == "message_bounced"]
    )
    assert history == [(acme["id"],)]

    # A 5xx to DATA bounces too; a resend of the failed ones leaves the bounced.
    smtp.refused_recipients.clear()
    smtp.refuse_with = "554 5.7.1 message refused"
    clock.advance(sending.RETRY_DELAYS[0])
    assert await outbox.deliver_due(services) == 2
    counts = (await manager1.data(COUNTS))["mailings"]["edges"][0]["node"]["counts"]
    assert (counts["bounced"], counts["queued"], counts["failed"]) == (3, 0, 0)
    smtp.refuse_with = None
    out = await result(manager1, RESEND, id=mailing["id"])
    assert out["code"] == "INVALID_INPUT", out  # nothing failed, nothing sent again
    assert await outbox.deliver_due(services) == 0
    assert smtp.messages == []


async def test_a_number_the_sms_provider_refuses_bounces_and_an_outage_retries(
    sales1: GraphQLClient, services: Services, provider: Receiver
) -> None:
    made = await customer(sales1, "Acme", {"name": "Ann", "mobile": "13900000001"})
    sms = {"channel": "SMS", "body": "Hi"}
    provider.status["/sms"] = 503
    await result(sales1, SEND_ONE, contactId=made["contacts"][0]["id"], draft=sms)
    await outbox.deliver_due(services)
    [(status, error)] = await select_rows(services, OutboxMessage.status, OutboxMessage.last_error)
    assert (status, error[:17]) == (OutboxStatus.PENDING, "deferred: HTTP 50")

    provider.status["/sms"] = 422
    await result(sales1, SEND_ONE, contactId=made["contacts"][0]["id"], draft=sms)
    await outbox.deliver_due(services)
    statuses = await select_rows(services, OutboxMessage.status, order_by=[OutboxMessage.id])
    assert statuses == [(OutboxStatus.PENDING,), (OutboxStatus.BOUNCED,)]


async def test_the_message_reads_back_as_written_whatever_the_script(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services, smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(services.settings, "mail_from", "Société Générale CRM <crm@sg.test>")
    await customer(sales1, "北京贸易", {"name": "Zoë", "email": "zoe@bj.test"})
    long_subject = "News for {customer_name}: " + "a rather long subject line " * 5
    draft = {**EMAIL, "subject": long_subject, "body": "Dear {contact_name},\n. 你好"}
    await result(manager1, SEND, audience=EVERYONE, draft=draft)
    await outbox.deliver_due(services)
    [message] = smtp.messages
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == long_subject.replace("{customer_name}", "北京贸易").strip()
    assert str(parsed["From"]) == "Société Générale CRM <crm@sg.test>"
    assert parsed.get_content() == "Dear Zoë,\n. 你好"  # the dot line survives SMTP
    assert parsed["Message-ID"] == (await select_rows(services, OutboxMessage.key))[0][0]


async def test_an_unreachable_smtp_server_is_retried(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    with smtp_server() as gone:
        port = gone.port
    monkeypatch.setattr(services.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(services.settings, "smtp_port", port)
    await customer(sales1, "Acme", {"name": "Ann", "email": "ann@acme.test"})
    await result(manager1, SEND, audience=EVERYONE, draft=EMAIL)
    await outbox.deliver_due(services)
    [(status, attempts, error)] = await select_rows(
        services, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error
    )
    assert (status, attempts) == (OutboxStatus.PENDING, 1) and error


async def test_sms_through_the_http_provider_and_a_single_message(
    sales1: GraphQLClient, services: Services, provider: Receiver
) -> None:
    made = await customer(sales1, "Acme", {"name": "Ann", "mobile": "13900000001"})
    contact = made["contacts"][0]["id"]
    sms = {"channel": "SMS", "body": "Hi {contact_name}"}
    sent = await result(sales1, SEND_ONE, contactId=contact, draft=sms)
    assert sent["mailing"]["queued"] == 1, sent
    await outbox.deliver_due(services)
    [request] = provider.requests
    body = orjson.loads(request.body)
    assert (body["to"], body["text"]) == ("13900000001", "Hi Ann")
    [(key,)] = await select_rows(services, OutboxMessage.key)
    assert body["id"] == key
    # The sender without the contact-details right sees the number masked.
    recipients = await sales1.data(RECIPIENTS, id=sent["mailing"]["id"])
    [node] = [e["node"] for e in recipients["mailingRecipients"]["edges"]]
    assert node["status"] == "DELIVERED" and node["to"] != "13900000001"


async def test_the_log_provider_records_instead_of_sending(
    sales1: GraphQLClient, services: Services
) -> None:
    made = await customer(sales1, "Acme", {"name": "Ann", "mobile": "13900000001"})
    sms = {"channel": "SMS", "body": "Hi"}
    await result(sales1, SEND_ONE, contactId=made["contacts"][0]["id"], draft=sms)
    await outbox.deliver_due(services)
    [(status,)] = await select_rows(services, OutboxMessage.status)
    assert status is OutboxStatus.DELIVERED


async def test_nobody_writes_to_contacts_outside_their_scope(
    sales1: GraphQLClient, sales3: GraphQLClient, services: Services
) -> None:
    theirs = await customer(sales3, "Delta", {"name": "Ed", "email": "ed@delta.test"})
    out = await result(sales1, SEND_ONE, contactId=theirs["contacts"][0]["id"], draft=EMAIL)
    assert out["code"] == "NOT_FOUND", out
    assert await count(services, Mailing) == 0
    assert await count(services, OutboxMessage) == 0


async def test_opted_out_contacts_are_skipped_and_limits_hold(
    sales1: GraphQLClient, manager1: GraphQLClient, admin: GraphQLClient, services: Services
) -> None:
    acme = await customer(sales1, "Acme", {"name": "Ann", "email": "ann@acme.test"},
                          {"name": "Bob", "email": "bob@acme.test"})  # fmt: skip
    await customer(sales1, "Beta", {"name": "Cy", "email": "cy@beta.test"})
    out = await result(sales1, OPT_OUT, contactId=acme["contacts"][1]["id"])
    assert out["__typename"] == "DoneSuccess", out
    limited = await result(admin, LIMIT, userId=manager1.user_id, limit=1)
    assert limited["__typename"] == "DoneSuccess", limited

    all_contacts = {"filter": {}, "allContacts": True}
    refused = await result(manager1, SEND, audience=all_contacts, draft=EMAIL)
    assert refused["code"] == "INVALID_INPUT" and "daily limit of 1" in refused["message"]
    assert await count(services, OutboxMessage) == 0

    await result(admin, LIMIT, userId=manager1.user_id, limit=None)
    sent = await result(manager1, SEND, audience=all_contacts, draft=EMAIL)
    assert (sent["mailing"]["queued"], sent["mailing"]["skippedOptedOut"]) == (2, 1)


async def test_a_mailing_waits_for_its_time_and_templates_are_checked(
    sales1: GraphQLClient, manager1: GraphQLClient, services: Services, clock: FrozenClock,
    smtp: SmtpServer,
) -> None:  # fmt: skip
    await customer(sales1, "Acme", {"name": "Ann", "email": "ann@acme.test"})
    bad = {**EMAIL, "body": "Hello {nickname}"}
    out = await result(manager1, SEND, audience=EVERYONE, draft=bad)
    assert [p["field"] for p in out["problems"]] == ["body"], out
    later = (clock.now() + timedelta(hours=2)).isoformat()
    await result(manager1, SEND, audience=EVERYONE, draft=EMAIL, sendAt=later)
    assert await outbox.deliver_due(services) == 0
    clock.advance(timedelta(hours=2))
    assert await outbox.deliver_due(services) == 1
    assert len(smtp.messages) == 1


PROGRESS = """subscription { mailingProgress { id counts { queued sent failed } } }"""
PROGRESS_ALL = f"""subscription {{ mailingProgress {{ {MAILING} }} }}"""


async def test_the_sender_and_their_manager_watch_the_counts_go_to_sent(
    app: Starlette, sales1: GraphQLClient, manager1: GraphQLClient, sales3: GraphQLClient,
    services: Services, smtp: SmtpServer,
) -> None:  # fmt: skip
    await customer(sales1, "Acme", {"name": "Ann", "email": "ann@acme.test"})
    async with subscribed(app, PROGRESS, manager1, sales3) as (watcher, outsider):
        sent = await result(manager1, SEND, audience=EVERYONE, draft=EMAIL)
        await outbox.deliver_due(services)
        push = (await watcher.next_data())["mailingProgress"]
        assert push == {"id": sent["mailing"]["id"],
                        "counts": {"queued": 0, "sent": 1, "failed": 0}}  # fmt: skip
        assert await outsider.nothing_within(0.2)  # sales3 may not see manager1's mailings


TASK = """mutation($customer: Int!, $input: TaskInput!) { createTask(customerId: $customer,
  input: $input) { __typename ... on CustomerRecordSuccess { record { ... on Task { id
  remindBySms } } } } }"""


async def test_a_to_do_reminds_by_sms_as_well_as_the_bell(
    sales1: GraphQLClient, services: Services, clock: FrozenClock, provider: Receiver
) -> None:
    made = await customer(sales1, "Acme", {"name": "Ann"})
    now = clock.now()
    for content, by_sms in (("Call Ann", True), ("Quietly", False)):
        task = {
            "content": content, "dueAt": (now + timedelta(hours=2)).isoformat(),
            "remindAt": (now + timedelta(hours=1)).isoformat(), "remindBySms": by_sms,
        }  # fmt: skip
        out = await sales1.data(TASK, customer=made["id"], input=task)
        assert out["createTask"]["record"]["remindBySms"] is by_sms, out
    clock.advance(timedelta(hours=1))
    assert await send_reminders(services) == 2  # both ring the bell
    assert await outbox.deliver_due(services) == 1  # one asked for an SMS
    [request] = provider.requests
    body = orjson.loads(request.body)
    assert body["to"] == "13822223333"  # sales1's mobile phone
    assert body["text"].startswith("To-do due") and body["text"].endswith(": Call Ann")


async def test_a_mailing_settles_in_as_many_statements_whatever_its_size(
    manager1: GraphQLClient, services: Services, smtp: SmtpServer
) -> None:
    owner = (await user_ids(services))["sales1"]
    counts = []
    for size in (3, 30):
        async with services.database.writer() as session, session.begin():
            for n in range(size):
                made = await add_customer(session, f"Firm {size}-{n}", owner, Pool.PRIVATE)
                session.add(Contact(customer_id=made.id, name=f"C{n}", is_primary=True,
                                    email=f"c{size}-{n}@firm.test", created_at=made.created_at,
                                    updated_at=made.created_at))  # fmt: skip
        sent = await result(manager1, SEND, audience={"filter": {"search": f"Firm {size}-"}},
                            draft=EMAIL)  # fmt: skip
        assert sent["mailing"]["queued"] == size, sent
        async with count_statements(services) as counted:
            assert await outbox.deliver_due(services) == size
        counts.append(len(counted))
    assert counts[0] == counts[1], (counts, counted.statements)
    counted.assert_at_most(8)
