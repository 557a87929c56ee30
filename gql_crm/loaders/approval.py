from __future__ import annotations

from gql_crm.db.models import ApprovalHistory, ApprovalStep
from gql_crm.loaders.batch import children

load_approval_steps = children(ApprovalStep.approval_id, ApprovalStep.step)
load_approval_history = children(ApprovalHistory.approval_id, ApprovalHistory.id)
