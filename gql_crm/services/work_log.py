"""Work logs (F7.3): submitted to a chosen leader, who is notified and can comment."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, or_, select

from gql_crm.auth.principal import Principal
from gql_crm.db.models import NotificationCategory, User, WorkLog, WorkLogComment
from gql_crm.db.pagination import SortKey
from gql_crm.services.errors import InvalidInput
from gql_crm.services.notification import NotificationDraft, notify
from gql_crm.services.unit_of_work import UnitOfWork

ORDER = (SortKey(WorkLog.id, descending=True),)


def work_logs_query(principal: Principal, *, mine: bool) -> Select[WorkLog]:
    """Mine (``mine``) or those submitted to me."""
    column = WorkLog.author_id if mine else WorkLog.leader_id
    return select(WorkLog).where(column == principal.user_id)


async def submit(uow: UnitOfWork, leader_id: int, log_date: date, content: str) -> WorkLog:
    if leader_id == uow.principal.user_id:
        raise InvalidInput.single("leaderId", "submit your work log to someone else")
    leader = await uow.session.get(User, leader_id)
    if leader is None or not leader.is_active or leader.deleted_at is not None:
        raise InvalidInput.single("leaderId", f"no active user with id {leader_id}")
    log = WorkLog(
        author_id=uow.principal.user_id,
        leader_id=leader_id,
        log_date=log_date,
        content=content,
        created_at=uow.now,
    )
    uow.session.add(log)
    await uow.session.flush()
    author = await uow.session.get(User, uow.principal.user_id)
    await notify(
        uow,
        [leader_id],
        NotificationDraft(
            category=NotificationCategory.PERSONAL,
            kind="work_log",
            title=f"{author.name if author else 'A colleague'} submitted a work log",
            body=f"Work log of {log_date.isoformat()}",
            link_type="work_log",
            link_id=log.id,
        ),
    )
    return log


async def add_comment(uow: UnitOfWork, id: int, content: str) -> WorkLogComment:
    """The leader or the author comments; the other one is notified."""
    me = uow.principal.user_id
    involved = or_(WorkLog.author_id == me, WorkLog.leader_id == me)
    log = await uow.find(WorkLog, id, involved)
    comment = WorkLogComment(work_log_id=log.id, author_id=me, content=content, created_at=uow.now)
    uow.session.add(comment)
    await uow.session.flush()
    other = log.author_id if me == log.leader_id else log.leader_id
    await notify(
        uow,
        [other],
        NotificationDraft(
            category=NotificationCategory.PERSONAL,
            kind="work_log_comment",
            title="New comment on a work log",
            body=content[:200],
            link_type="work_log",
            link_id=log.id,
        ),
    )
    return comment
