from __future__ import annotations

from datetime import datetime

import strawberry

from gql_crm.context import Info
from gql_crm.db.models import Attachment, AttachmentRecordType
from gql_crm.schema.kit import ModelType
from gql_crm.schema.user import UserType

AttachmentRecordTypeEnum = strawberry.enum(
    AttachmentRecordType,
    name="AttachmentRecordType",
    description="The kind of record a file is attached to.",
)


def download_path(attachment_id: int) -> str:
    return f"/attachments/{attachment_id}"


@strawberry.type(
    name="Attachment",
    description="A file on an order (the contract text) or a customer. Fetch its bytes with "
    "GET `downloadUrl` and the same `Authorization: Bearer` token as for /graphql.",
)
class AttachmentType(ModelType, model=Attachment):
    id: int
    record_type: AttachmentRecordTypeEnum  # type: ignore[valid-type]
    record_id: int
    file_name: str = strawberry.field(description="As uploaded, without any directory part.")
    content_type: str
    size: int = strawberry.field(description="In bytes.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the content.")
    created_at: datetime
    uploaded_by_id: strawberry.Private[int | None]

    @strawberry.field(description="Who uploaded the file.")
    async def uploaded_by(self, info: Info) -> UserType | None:
        if self.uploaded_by_id is None:
            return None
        user = await info.context.loaders.user.load(self.uploaded_by_id)
        return UserType.from_model(user) if user else None

    @strawberry.field(description="Path of the download, relative to this server.")
    def download_url(self) -> str:
        return download_path(self.id)


@strawberry.type
class AttachmentSuccess:
    attachment: AttachmentType
