from __future__ import annotations

from gql_crm.db.models import User
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import children, rows_by_id

load_users = rows_by_id(User)
# Current (not deleted) members per department, by name.
load_members = children(User.department_id, User.name, User.id, where=[User.deleted_at.is_(None)])


class UserLoaders(LoaderSet):
    user: Loader[int, User | None] = loader(load_users)
    department_members: Loader[int, list[User]] = loader(load_members)
