from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from gql_crm.auth.permissions import ADMIN_EDIT
from gql_crm.context import Info
from gql_crm.db.models.mailing import Channel
from gql_crm.db.models.outbox import OutboxStatus
from gql_crm.resolvers.common import mutate
from gql_crm.resolvers.kit import connection, described, mutation, success
from gql_crm.schema import mailing as schema
from gql_crm.schema.common import InvalidInputError, NotFoundError, requires
from gql_crm.schema.kit import values_of
from gql_crm.services import mailing as service
from gql_crm.services.customer import CUSTOMER_EDIT, CUSTOMER_VIEW, CustomerFilter
from gql_crm.services.unit_of_work import UnitOfWork

Sent = success(schema.MailingType, "mailing")
Whom = described(schema.AudienceInput, "Whom to write to.")
What = described(schema.MessageDraftInput, "What to send, with merge fields.")


@strawberry.type(description="The change was made.")
class DoneSuccess:
    id: int = strawberry.field(description="The record it was made to.")


DoneResult = Annotated[
    DoneSuccess | InvalidInputError | NotFoundError, strawberry.union("DoneResult")
]


def _audience(values: dict[str, Any]) -> service.Audience:
    chosen = values["filter"]
    filters = CustomerFilter(**values_of(chosen)) if chosen is not None else None
    return service.Audience(filters, values["all_contacts"], values["contact_ids"])


def _draft(values: dict[str, Any]) -> service.Draft:
    return service.Draft(values["channel"], values["body"], values["subject"])


async def _send(
    uow: UnitOfWork, audience: dict[str, Any], draft: dict[str, Any], send_at: datetime | None
) -> Any:
    return await service.send(uow, _audience(audience), _draft(draft), send_at)


async def _send_one(uow: UnitOfWork, contact_id: int, draft: dict[str, Any]) -> Any:
    return await service.send_one(uow, contact_id, _draft(draft))


@strawberry.type
class MailingQuery:
    mailings = connection(
        service.mailing_list, schema.MailingType, service.ORDER, needs=CUSTOMER_VIEW,
        description="Messages sent by you and the people in your scope, newest first.",
    )  # fmt: skip
    mailing_recipients = connection(
        service.recipient_list, schema.MailingRecipientType, service.RECIPIENT_ORDER,
        needs=CUSTOMER_VIEW, mailing_id=int,
        status=described(OutboxStatus | None, "Only those in this status."),
        description="A mailing's messages, one per recipient.",
    )  # fmt: skip

    @strawberry.field(
        extensions=[requires(service.SEND_BULK)],
        description="Whom a mailing would reach and how its first messages read (addresses "
        "masked unless you may see them); nothing is sent.",
    )
    async def message_preview(
        self,
        info: Info,
        audience: Annotated[
            schema.AudienceInput, strawberry.argument(description="Whom to write to.")
        ],
        draft: Annotated[
            schema.MessageDraftInput, strawberry.argument(description="What to send.")
        ],
    ) -> schema.MessagePreviewType:
        async with info.context.unit_of_work() as uow:
            found = await service.preview(
                uow, _audience(values_of(audience)), _draft(values_of(draft))
            )
            principal = uow.principal
        return schema.MessagePreviewType(
            recipients=len(found.chosen),
            skipped_no_address=found.no_address,
            skipped_duplicate=found.duplicate,
            skipped_opted_out=found.opted_out,
            samples=[
                schema.PreviewMessageType(
                    customer_id=r.customer_id,
                    contact_id=r.contact_id,
                    to=service.masked_to(principal, r, draft.channel),
                    subject=r.subject,
                    body=r.body,
                )
                for r in found.chosen[: service.PREVIEW_SAMPLES]
            ],
        )


@strawberry.type
class MailingMutation:
    send_mailing = mutation(
        _send, Sent, needs=service.SEND_BULK, audience=Whom, draft=What,
        send_at=described(datetime | None, "When to start sending (default: now)."),
        description="Queues one message per recipient (skipping contacts without an "
        "address, repeated addresses and those who opted out).",
    )  # fmt: skip
    send_contact_message = mutation(
        _send_one, Sent, needs=CUSTOMER_EDIT, contact_id=int, draft=What,
        description="Sends one e-mail or SMS to a contact of a customer you may see.",
    )  # fmt: skip
    resend_failed_messages = mutation(
        service.resend_failed, Sent, needs=CUSTOMER_VIEW, id=int,
        description="Queues the mailing's failed messages once more.",
    )  # fmt: skip

    @strawberry.mutation(
        extensions=[requires(CUSTOMER_EDIT)],
        description="Records (or lifts) a contact's wish not to receive e-mail or SMS; "
        "mailings skip them.",
    )
    async def set_contact_opt_out(
        self,
        info: Info,
        contact_id: int,
        channel: Annotated[Channel, strawberry.argument(description="Which kind of message.")],
        opted_out: Annotated[
            bool,
            strawberry.argument(description="True: they opted out; false: they may be written to."),
        ],
    ) -> DoneResult:
        return await mutate(
            info,
            lambda uow: service.set_opt_out(uow, contact_id, channel, opted_out),
            lambda id: DoneSuccess(id=id),
        )

    @strawberry.mutation(
        extensions=[requires(ADMIN_EDIT)],
        description="Sets how many messages a user may send to customers per day (null: "
        "the configured default).",
    )
    async def set_message_daily_limit(
        self,
        info: Info,
        user_id: int,
        limit: Annotated[
            int | None,
            strawberry.argument(description="Messages per company day; null: the default."),
        ],
    ) -> DoneResult:
        return await mutate(
            info,
            lambda uow: service.set_daily_limit(uow, user_id, limit),
            lambda id: DoneSuccess(id=id),
        )
