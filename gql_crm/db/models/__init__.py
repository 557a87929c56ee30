"""All models, imported here so that metadata (and Alembic) sees every table."""

from gql_crm.db.models.auth import LoginThrottle
from gql_crm.db.models.department import Department
from gql_crm.db.models.operation_log import OperationLog
from gql_crm.db.models.position import DataScope, Position
from gql_crm.db.models.setting import MaturityOption, Pool, SystemSettings
from gql_crm.db.models.user import User

__all__ = [
    "DataScope",
    "Department",
    "LoginThrottle",
    "MaturityOption",
    "OperationLog",
    "Pool",
    "Position",
    "SystemSettings",
    "User",
]
