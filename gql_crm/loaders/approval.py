from __future__ import annotations

from gql_crm.db.models import ApprovalHistory, ApprovalStep
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import children

load_approval_steps = children(ApprovalStep.approval_id, ApprovalStep.step)
load_approval_history = children(ApprovalHistory.approval_id, ApprovalHistory.id)


class ApprovalLoaders(LoaderSet):
    approval_steps: Loader[int, list[ApprovalStep]] = loader(load_approval_steps)
    approval_history: Loader[int, list[ApprovalHistory]] = loader(load_approval_history)
