from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Database
from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.loaders.batch import grouped, in_keys
from gql_crm.services.attachment import attachment_visibility


async def load_attachments(
    database: Database,
    principal: Principal,
    record_type: AttachmentRecordType,
    record_ids: Sequence[int],
) -> list[list[Attachment]]:
    """Visible attachments per record of one kind, newest first: one statement for all."""
    stmt = (
        select(Attachment)
        .where(
            Attachment.record_type == record_type,
            in_keys(Attachment.record_id, record_ids),
            attachment_visibility(principal),
        )
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )
    return await grouped(database, stmt, lambda a: a.record_id, record_ids)
