"""Per-request DataLoaders: one SQL statement per relation per level, whatever the fan-out.

Each loader module declares its loaders beside their load functions, in a ``LoaderSet``
(``loaders/base.py``); ``Loaders`` is those sets together, so a new loader is one line in
its module, and a new module one base below. A ``Loaders`` is built fresh for every request
(and every subscription event): loaders cache per request only, never across requests.
"""

from __future__ import annotations

from gql_crm.loaders.approval import ApprovalLoaders
from gql_crm.loaders.attachment import AttachmentLoaders
from gql_crm.loaders.base import LoaderSet
from gql_crm.loaders.customer import CustomerLoaders
from gql_crm.loaders.customer_record import CustomerRecordLoaders
from gql_crm.loaders.department import DepartmentLoaders
from gql_crm.loaders.message import MessageLoaders
from gql_crm.loaders.opportunity import OpportunityLoaders
from gql_crm.loaders.order import OrderLoaders
from gql_crm.loaders.position import PositionLoaders
from gql_crm.loaders.product import ProductLoaders
from gql_crm.loaders.setting import SettingLoaders
from gql_crm.loaders.user import UserLoaders
from gql_crm.loaders.work_log import WorkLogLoaders


class Loaders(
    ApprovalLoaders,
    AttachmentLoaders,
    CustomerLoaders,
    CustomerRecordLoaders,
    DepartmentLoaders,
    MessageLoaders,
    OpportunityLoaders,
    OrderLoaders,
    PositionLoaders,
    ProductLoaders,
    SettingLoaders,
    UserLoaders,
    WorkLogLoaders,
):
    """Every module's loaders, under their names: ``info.context.loaders.user.load(id)``."""


_left_out = [part.__qualname__ for part in LoaderSet.declared[1:] if part not in Loaders.__mro__]
if _left_out:
    raise RuntimeError(f"loader sets missing from Loaders' bases: {', '.join(_left_out)}")
