from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Self

import strawberry

from gql_crm.auth.masking import MASKS, Mask
from gql_crm.context import Info
from gql_crm.db.models.mailing import Channel, Mailing
from gql_crm.db.models.outbox import OutboxMessage, OutboxStatus
from gql_crm.schema.constraints import constraint
from gql_crm.schema.customer import CustomerFilterInput
from gql_crm.schema.kit import ModelType, related
from gql_crm.schema.outbox import DeliveryStatus  # noqa: F401  (registers the enum first)
from gql_crm.services import mailing as service

strawberry.enum(Channel, name="MessageChannel", description="How a message reaches a contact.")


@strawberry.type(
    name="MailingCounts",
    description="A mailing's recipients by where their message stands.",
)
class MailingCountsType:
    queued: int = strawberry.field(description="Waiting to be sent (or to be retried).")
    sending: int = strawberry.field(description="Being sent right now.")
    sent: int = strawberry.field(description="Accepted by the mail server or SMS provider.")
    failed: int = strawberry.field(description="Given up on (see each recipient's lastError).")
    bounced: int = strawberry.field(
        description="Refused for good by the mail server or SMS provider: a bad address or "
        "number; resendFailedMessages leaves them."
    )

    @classmethod
    def from_model(cls, counts: dict[str, int]) -> Self:
        return cls(
            queued=counts.get(OutboxStatus.PENDING, 0),
            sending=counts.get(OutboxStatus.SENDING, 0),
            sent=counts.get(OutboxStatus.DELIVERED, 0),
            failed=counts.get(OutboxStatus.FAILED, 0),
            bounced=counts.get(OutboxStatus.BOUNCED, 0),
        )


async def load_counts(
    database: Any, principal: Any, mailing_ids: Sequence[int]
) -> list[dict[str, int]]:
    found = await service.counts(database, mailing_ids)
    return [found[i] for i in mailing_ids]


@strawberry.type(
    name="Mailing",
    description="An e-mail or SMS to a group of contacts, or to one (a single message).",
)
class MailingType(
    ModelType,
    model=Mailing,
    fields="id channel subject body send_at queued skipped_no_address skipped_duplicate "
    "skipped_opted_out created_at created_by_id",
):
    counts = related(
        MailingCountsType, "id", load_counts, scoped=True,
        description="Recipients by status, now.",
    )  # fmt: skip


@strawberry.type(name="MailingRecipient", description="One message of a mailing.")
class MailingRecipientType(
    ModelType,
    model=OutboxMessage,
    fields="id status attempts next_attempt_at last_error delivered_at",
):
    payload: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)
    kind: strawberry.Private[str] = ""

    @classmethod
    def from_model(cls, row: Any) -> Self:
        made = super().from_model(row)
        made.payload, made.kind = row.payload, row.kind
        return made

    @strawberry.field(description="The customer the contact belongs to.")
    def customer_id(self) -> int:
        return int(self.payload["customerId"])

    @strawberry.field(description="The contact written to.")
    def contact_id(self) -> int:
        return int(self.payload["contactId"])

    @strawberry.field(
        description="The address or mobile number, masked without the contact-details right."
    )
    def to(self, info: Info) -> str:
        return masked(info, self.payload["to"], self.kind)

    @strawberry.field(description="The e-mail's subject as sent (null for SMS).")
    def subject(self) -> str | None:
        value = self.payload.get("subject")
        return None if value is None else str(value)

    @strawberry.field(description="The message as sent, merge fields filled.")
    def body(self) -> str:
        return str(self.payload["body"])


def masked(info: Info, address: str, kind: str) -> str:
    if info.context.require_principal().sees_contact_details:
        return address
    return MASKS[Mask.EMAIL if kind == Channel.EMAIL else Mask.PHONE](address) or ""


@strawberry.type(name="PreviewMessage", description="A message as it would be sent.")
class PreviewMessageType:
    customer_id: int
    contact_id: int
    to: str = strawberry.field(
        description="The address or mobile number, masked unless you may see it."
    )
    subject: str | None = strawberry.field(description="The e-mail's subject, filled in.")
    body: str = strawberry.field(description="The message, merge fields filled.")


@strawberry.type(
    name="MessagePreview",
    description="Whom a mailing would reach, and its first messages; nothing is sent.",
)
class MessagePreviewType:
    recipients: int = strawberry.field(description="Messages that would be queued.")
    skipped_no_address: int = strawberry.field(description="Contacts without an address.")
    skipped_duplicate: int = strawberry.field(description="Repeats of an address.")
    skipped_opted_out: int = strawberry.field(description="Contacts who opted out.")
    samples: list[PreviewMessageType] = strawberry.field(description="The first few messages.")


@strawberry.input(description="Whom to write to: customers by filter, or hand-picked contacts.")
class AudienceInput:
    filter: CustomerFilterInput | None = strawberry.field(
        default=None,
        description="Customers as the customer list filters them (within your scope).",
    )
    all_contacts: bool = strawberry.field(
        default=False, description="Every contact of those customers, not only the primary."
    )
    contact_ids: list[int] | None = strawberry.field(
        default=None, description="Hand-picked contacts instead of a filter."
    )


@strawberry.input(description="What to send.")
class MessageDraftInput:
    channel: Channel = strawberry.field(description="E-mail or SMS.")
    subject: str | None = strawberry.field(
        default=None,
        metadata=constraint(max_length=200, single_line=True),
        description="An e-mail's subject; merge fields allowed.",
    )
    body: str = strawberry.field(
        metadata=constraint(max_length=10000),
        description="The text, with merge fields {customer_name}, {contact_name} and {owner_name}.",
    )
