from __future__ import annotations

from gql_crm.db.models import Department
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import children, rows_by_id

load_departments = rows_by_id(Department)
load_children = children(
    Department.parent_id, Department.sort_order, Department.name, Department.id
)


class DepartmentLoaders(LoaderSet):
    department: Loader[int, Department | None] = loader(load_departments)
    department_children: Loader[int, list[Department]] = loader(load_children)
