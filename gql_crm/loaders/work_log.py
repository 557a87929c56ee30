from __future__ import annotations

from gql_crm.db.models import WorkLogComment
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import children

load_work_log_comments = children(WorkLogComment.work_log_id, WorkLogComment.id)


class WorkLogLoaders(LoaderSet):
    work_log_comments: Loader[int, list[WorkLogComment]] = loader(load_work_log_comments)
