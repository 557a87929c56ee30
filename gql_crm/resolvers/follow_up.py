from __future__ import annotations

import strawberry

from gql_crm.resolvers.kit import connection, mutation
from gql_crm.schema.common import DeleteSuccess, NotFoundError
from gql_crm.schema.follow_up import (
    FollowUpFilterInput,
    FollowUpInput,
    FollowUpSuccess,
    FollowUpType,
)
from gql_crm.services import follow_up as service
from gql_crm.services.follow_up import (
    FOLLOWUP_CREATE,
    FOLLOWUP_DELETE,
    FOLLOWUP_EDIT,
    FOLLOWUP_VIEW,
)


@strawberry.type
class FollowUpQuery:
    follow_ups = connection(
        service.follow_up_query, FollowUpType, service.ORDER, needs=FOLLOWUP_VIEW,
        description="Follow-ups on the customers you may see, latest first (one customer's "
        "with `customerId`, page after page).",
        filter=FollowUpFilterInput | None,
    )  # fmt: skip
    follow_up_recycle_bin = connection(
        service.follow_up_bin, FollowUpType, service.BIN_ORDER, needs=FOLLOWUP_DELETE,
        description="Follow-ups you deleted, latest first: restore or purge them.",
    )  # fmt: skip


@strawberry.type
class FollowUpMutation:
    create_follow_up = mutation(
        service.create_follow_up, FollowUpSuccess, needs=FOLLOWUP_CREATE,
        customer_id=int, input=FollowUpInput,
        description="Record a follow-up; it restarts the customer's pool clock.",
    )  # fmt: skip
    update_follow_up = mutation(
        service.update_follow_up, FollowUpSuccess, needs=FOLLOWUP_EDIT, id=int, input=FollowUpInput,
        description="Your own follow-ups; others' need followup:edit_others.",
    )  # fmt: skip
    delete_follow_up = mutation(
        service.delete_follow_up, DeleteSuccess, needs=FOLLOWUP_DELETE, id=int,
        failures=(NotFoundError,), union="DeleteFollowUpResult",
        description="Into your recycle bin; the customer's last follow-up time moves back.",
    )  # fmt: skip
    restore_follow_up = mutation(
        service.restore_follow_up, FollowUpSuccess, needs=FOLLOWUP_DELETE, id=int,
        description="Bring a follow-up back from your recycle bin exactly as it was.",
    )  # fmt: skip
    purge_follow_up = mutation(
        service.purge_follow_up, DeleteSuccess, needs=FOLLOWUP_DELETE, id=int,
        failures=(NotFoundError,), union="PurgeFollowUpResult",
        description="Delete for good a follow-up from your recycle bin.",
    )  # fmt: skip
