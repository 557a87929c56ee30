from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, bindparam, select

from gql_crm.auth.principal import Principal
from gql_crm.db import visibility
from gql_crm.db.engine import Reads
from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.loaders.base import Loader, LoaderSet, scoped_loader
from gql_crm.loaders.batch import grouped, in_keys, per_principal


@per_principal
def _attachments(principal: Principal) -> Select[Attachment]:
    return (
        select(Attachment)
        .where(
            Attachment.record_type == bindparam("record_type"),
            in_keys(Attachment.record_id),
            visibility.attachment(principal),
        )
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )


async def load_attachments(
    database: Reads,
    principal: Principal,
    record_type: AttachmentRecordType,
    record_ids: Sequence[int],
) -> list[list[Attachment]]:
    """Visible attachments per record of one kind, newest first: one statement for all."""
    stmt = _attachments(principal)
    return await grouped(database, stmt, lambda a: a.record_id, record_ids, record_type=record_type)


async def load_order_attachments(
    database: Reads, principal: Principal, order_ids: Sequence[int]
) -> list[list[Attachment]]:
    return await load_attachments(database, principal, AttachmentRecordType.ORDER, order_ids)


async def load_customer_attachments(
    database: Reads, principal: Principal, customer_ids: Sequence[int]
) -> list[list[Attachment]]:
    return await load_attachments(database, principal, AttachmentRecordType.CUSTOMER, customer_ids)


async def load_article_attachments(
    database: Reads, principal: Principal, article_ids: Sequence[int]
) -> list[list[Attachment]]:
    return await load_attachments(database, principal, AttachmentRecordType.ARTICLE, article_ids)


class AttachmentLoaders(LoaderSet):
    order_attachments: Loader[int, list[Attachment]] = scoped_loader(load_order_attachments)
    customer_attachments: Loader[int, list[Attachment]] = scoped_loader(load_customer_attachments)
    article_attachments: Loader[int, list[Attachment]] = scoped_loader(load_article_attachments)
