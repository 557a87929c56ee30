from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gql_crm.context import Context, Info
from gql_crm.db.models.mailing import Mailing
from gql_crm.schema.mailing import MailingType
from gql_crm.services import mailing as service
from gql_crm.services.customer import CUSTOMER_VIEW
from gql_crm.subscriptions.bus import Event
from gql_crm.subscriptions.live import LoadingFeed, feed, live_items


@feed("mailingProgress")
class MailingProgress(LoadingFeed[MailingType]):
    channels = (service.TOPIC,)

    __slots__ = ("_database", "_mailing_id", "_principal")

    def __init__(self, context: Context, mailing_id: int | None = None) -> None:
        self._principal = context.require_principal()
        self._principal.require(CUSTOMER_VIEW)
        self._database = context.services.database
        self._mailing_id = mailing_id

    async def items(self, event: Event) -> list[MailingType]:
        if event.channel != service.TOPIC or event.type != service.MAILING_EVENT:
            return []
        payload = event.payload
        if self._mailing_id is not None and payload["mailingId"] != self._mailing_id:
            return []
        if not service.can_watch(self._principal, payload):
            return []
        async with self._database.reader() as session:
            mailing = await session.get(Mailing, payload["mailingId"])
        return [] if mailing is None else [MailingType.from_model(mailing)]


@strawberry.type
class MailingSubscription:
    @strawberry.subscription(
        description="Mailings (yours and those of people in your scope) as their messages "
        "are settled: select `counts` to watch them go to sent; optionally one mailing."
    )
    async def mailing_progress(
        self, info: Info, mailing_id: int | None = None
    ) -> AsyncGenerator[MailingType, None]:
        progress = MailingProgress(info.context, mailing_id=mailing_id)
        async for mailing in live_items(info.context, progress):
            yield mailing
