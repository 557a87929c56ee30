"""The root Query and Mutation types, merged from every domain's resolvers."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from strawberry.tools import merge_types

from gql_crm import resolvers, subscriptions
from gql_crm.schema import approval, common, payment, pool
from gql_crm.schema.customer_record import RECORD_TYPES


def _domains(package: ModuleType) -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{module.name}")
        for module in pkgutil.iter_modules(package.__path__)
    ]


_ROOTS = {
    "Query": "What you may read: every list and record, within your permissions and data scope.",
    "Mutation": "What you may change. Expected failures come back as data (each result's "
    "`Error` members); a missing sign-in or permission is a top-level error with "
    "`extensions.code`.",
    "Subscription": "Live updates over WebSocket (graphql-transport-ws); each feed delivers "
    "only what you may see.",
}


def _merged(name: str, modules: list[ModuleType]) -> type:
    """``name`` with the fields of every ``<Domain><name>`` type the modules define."""
    parts = [
        value
        for module in modules
        for key, value in vars(module).items()
        if key.endswith(name)
        and hasattr(value, "__strawberry_definition__")
        and value.__module__ == module.__name__
    ]
    merged = merge_types(name, tuple(parts))
    merged.__strawberry_definition__.description = _ROOTS[name]  # type: ignore[attr-defined]
    return merged


# A domain's resolvers module defines its ``<Domain>Query`` and ``<Domain>Mutation``, and its
# subscriptions module its ``<Domain>Subscription``: nothing here lists them.
_RESOLVERS = _domains(resolvers)
Query = _merged("Query", _RESOLVERS)
Mutation = _merged("Mutation", _RESOLVERS)
Subscription = _merged("Subscription", _domains(subscriptions))

# Every error type, so clients can spread `... on X` on any of them.
ERROR_TYPES = [
    common.InvalidInputError,
    common.NotFoundError,
    common.ConflictError,
    pool.PoolCapReachedError,
    pool.ClaimBannedError,
    pool.NotClaimableError,
    pool.BatchRefusedError,
    payment.AmountExceededError,
    approval.AlreadyDecidedError,
]
# Implementations of interfaces that fields return only as the interface.
OTHER_TYPES = RECORD_TYPES
