"""Permission codes (F1.3): basic ``module:action`` codes and advanced rights.

A position holds a set of these codes. Services check them (``principal.require``) and the
schema shows them (``@requiresPermission``); this module is the one list both draw from.
"""

from __future__ import annotations

import enum


class Module(enum.StrEnum):
    CUSTOMER = "customer"
    CONTACT = "contact"
    FOLLOWUP = "followup"
    TASK = "task"
    TRAINING = "training"
    CAMPAIGN = "campaign"
    OPPORTUNITY = "opportunity"
    ORDER = "order"
    PAYMENT = "payment"
    REFUND = "refund"
    EXPENSE = "expense"
    PRODUCT = "product"
    DOCUMENT = "document"
    ANNOUNCEMENT = "announcement"
    STATISTICS = "statistics"
    ADMIN = "admin"


class Action(enum.StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"
    IMPORT = "import"


def basic(module: Module, action: Action) -> str:
    return f"{module}:{action}"


def record_codes(module: Module) -> tuple[str, str, str, str]:
    """``module``'s view, create, edit and delete codes."""
    view, create, edit, delete = (Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE)
    return basic(module, view), basic(module, create), basic(module, edit), basic(module, delete)


BASIC_PERMISSIONS: tuple[str, ...] = tuple(basic(m, a) for m in Module for a in Action)


class Advanced(enum.StrEnum):
    """Finer rights over contact details, follow-ups, closed orders, payments, pools and
    API keys."""

    VIEW_CONTACT_DETAILS = "customer:view_contact_details"
    CLAIM_SPECIAL_POOL = "customer:claim_special_pool"
    EDIT_OTHERS_FOLLOWUPS = "followup:edit_others"
    EDIT_CLOSED_ORDERS = "order:edit_closed"
    RECORD_ANY_PAYMENT = "payment:record_any"
    APPROVE_EXPENSES = "expense:approve"
    MANAGE_API_KEYS = "apikey:manage"
    MANAGE_PUBLIC_DOCUMENTS = "document:manage_public"
    EDIT_KNOWLEDGE = "knowledge:edit"
    MANAGE_WEBHOOKS = "webhook:manage"
    SEND_BULK_MESSAGES = "customer:bulk_message"


ADVANCED_DESCRIPTIONS: dict[Advanced, str] = {
    Advanced.VIEW_CONTACT_DETAILS: "See phone numbers and e-mails unmasked.",
    Advanced.CLAIM_SPECIAL_POOL: "Claim customers from the public special pool.",
    Advanced.EDIT_OTHERS_FOLLOWUPS: "Edit and delete other people's follow-up records.",
    Advanced.EDIT_CLOSED_ORDERS: "Edit orders that are fully paid or expired.",
    Advanced.RECORD_ANY_PAYMENT: "Record payments and refunds for any visible order.",
    Advanced.APPROVE_EXPENSES: "Approve or reject sales expenses.",
    Advanced.MANAGE_API_KEYS: "Create, list and revoke your own API keys for integrations "
    "(with admin:edit, also service accounts' keys and anyone's).",
    Advanced.MANAGE_PUBLIC_DOCUMENTS: "Add, change and delete the company's public documents.",
    Advanced.EDIT_KNOWLEDGE: "Write, publish and delete knowledge-base articles and categories.",
    Advanced.SEND_BULK_MESSAGES: "Send e-mail or SMS mailings to groups of customers' "
    "contacts (within your data scope).",
    Advanced.MANAGE_WEBHOOKS: "Register webhook endpoints that receive signed events within "
    "your data scope, and see their deliveries (with admin:edit, anyone's endpoints).",
}

ALL_PERMISSIONS: frozenset[str] = frozenset(BASIC_PERMISSIONS) | frozenset(Advanced)

# Shorthands for the codes the foundation itself checks.
ADMIN_CREATE = basic(Module.ADMIN, Action.CREATE)
ADMIN_EDIT = basic(Module.ADMIN, Action.EDIT)
ADMIN_DELETE = basic(Module.ADMIN, Action.DELETE)


def unknown_permissions(codes: list[str]) -> list[str]:
    return [code for code in codes if code not in ALL_PERMISSIONS]
