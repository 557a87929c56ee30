"""The data set of the customer-view benchmark (PostgreSQL only).

A company with departments, 55 salespeople and the benchmark user ``bench``, and N
customers (ids 1..N) with every part of the customer view (F2.13): contacts, follow-ups,
tasks, schedules, opportunities with their stage history, orders with lines, payment plans,
payments and invoices, complaints, service records, notes, call records, expenses,
attachments (metadata only: the view never reads the files), operation-log entries and
shares — about 50 rows per customer.

The organisation goes through the services (administrator, departments, positions and the
``bench`` user, whose position is an ordinary one: every ``view`` permission and the
contact-details right over all data), so the benchmark measures the normal permission path.
The customers and their records are set-based ``INSERT … SELECT … generate_series``
statements: 10,000 customers take well under a minute.

Everything is deterministic: "random" choices are hashes of the row's numbers, so two runs
with the same N and the same ``now`` build the same rows.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ARRAY, Date, DateTime, Integer, Text, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeEngine

from gql_crm.auth.passwords import hash_password
from gql_crm.auth.permissions import Action, Advanced, Module, basic
from gql_crm.clock import FrozenClock
from gql_crm.db.base import Base
from gql_crm.db.engine import Database
from gql_crm.db.migrate import upgrade
from gql_crm.db.models import (
    DataScope,
    MaturityOption,
    OpportunityStage,
    OptionItem,
    OptionList,
    StageOutcome,
    User,
)
from gql_crm.db.scopes import load_principal
from gql_crm.seed.demo import POSITIONS
from gql_crm.services import department as department_service
from gql_crm.services import position as position_service
from gql_crm.services import statistics_rollup
from gql_crm.services import user as user_service
from gql_crm.services.bootstrap import create_administrator
from gql_crm.services.payment import plans_met_update, unmet_due_update
from gql_crm.services.setting import ensure_defaults
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings
from gql_crm.subscriptions.bus import Bus

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/gqlcrm_bench"
BENCH_LOGIN = "bench"
PASSWORD = "bench-password"
BENCH_POSITION = "Benchmark reader"
# Everything a reader of the whole customer view needs, and nothing to change it with.
BENCH_PERMISSIONS = tuple(
    sorted([basic(m, Action.VIEW) for m in Module] + [Advanced.VIEW_CONTACT_DETAILS])
)
REGIONS = ("North", "South", "East", "West", "Central")
STAFF_PER_REGION = 10
PRODUCTS = 20


# Counted apart from the ~50 related rows per customer.
_ORGANISATION = frozenset({"users", "departments", "positions", "products", "customers"})


class SeedRefused(ValueError):
    """The target cannot hold the benchmark data (not PostgreSQL)."""


def bench_database_url() -> str:
    return os.environ.get("GQL_CRM_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


@dataclass(frozen=True, slots=True)
class SeedResult:
    customers: int
    seconds: float
    rows: dict[str, int]


def h(expr: str, salt: int) -> str:
    """A well-mixed non-negative pseudo-random int from a row's numbers, in SQL.

    Plain modular arithmetic (``g * 7919 % 50``) would correlate choices made with
    different moduli (pool by ``g % 20``, owner by ``g % 50``); a hash does not.
    """
    return f"(hashint8(CAST({expr} AS bigint) * 1009 + {salt}) & 2147483647)"


def pick(array: str, expr: str, salt: int, length: str | int) -> str:
    """One element of a SQL array parameter, chosen by ``h``."""
    return f"({array})[1 + {h(expr, salt)} % {length}]"


# The owner of a record on customer ``c``: its owner, or for an unowned (public) customer a
# salesperson who worked on it before.
OWNER_OR_SALES = "COALESCE(c.owner_id, " + pick(":sales", "c.id", 7, ":s") + ")"
TS_OF_DAY = "(CAST({day} AS timestamp) AT TIME ZONE 'UTC' + make_interval(hours => {hours}))"

_WORDS = (
    "Acme", "Blue River", "Golden Gate", "Harbor", "Jade", "Lotus", "Maple", "Northstar",
    "Orchid", "Pioneer", "Red Lantern", "Silverline", "Summit", "Sunrise", "Tianfu", "Zenith",
)  # fmt: skip
_KINDS = ("Trading", "Logistics", "Software", "Foods", "Machinery", "Textiles", "Media")
_CITIES = (
    "Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Chengdu", "Hangzhou", "Wuhan", "Nanjing",
    "Tianjin", "Xi'an", "Chongqing", "Suzhou", "Qingdao", "Xiamen", "Dalian", "Kunming",
)  # fmt: skip
_FAMILY = ("Chen", "Li", "Wang", "Zhang", "Liu", "Yang", "Zhao", "Huang", "Zhou", "Wu")
_GIVEN = ("Wei", "Fang", "Jun", "Lei", "Min", "Na", "Qiang", "Xin", "Yan", "Hui", "Tao", "Jing")
_TITLES = ("Manager", "Buyer", "Director", "Engineer", "Assistant", "Accountant")
_FOLLOW_UPS = (
    "Introduced our catalogue.", "Discussed prices.", "Sent samples.",
    "Asked for a quotation.", "Visited their office.", "Answered questions on the contract.",
)  # fmt: skip
_TASKS = (
    "Send the revised quotation", "Confirm the delivery date", "Call back about the invoice",
    "Prepare the demo", "Check the contract draft",
)  # fmt: skip
_SERVICES = ("Training", "Installation", "Maintenance", "Consulting")
_COMPLAINTS = ("Delivery", "Quality", "Invoice", "Service", "Price")
_EXPENSES = ("Travel", "Entertainment", "Gifts", "Samples")
_FILES = (
    ("Business licence.pdf", "application/pdf"),
    ("Site photo.jpg", "image/jpeg"),
    ("Price list.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("Requirements.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
)  # fmt: skip

# The steps, in order: loads of a table (named by the table) and the values the services keep
# in step with other rows (named table.column), each right after the rows it derives from.
# Per customer, each kind of record numbers min + hash % spread (mean min + (spread - 1) / 2),
# or 1 + hash % 4 / 3 (one, and two for a customer in four).
# Orders exist on four customers in five (id % 5 != 0; the fifth are prospects), with their
# lines, plans, payments and invoices.
LOADS: dict[str, str | Executable] = {
    "products": f"""
        INSERT INTO products (name, code, category_id, price, cost, unit, is_active,
                              created_at, updated_at)
        SELECT 'Product ' || g, 'P-' || lpad(CAST(g AS text), 3, '0'),
               {pick(":product_categories", "g", 1, 3)},
               CAST(50 + {h("g", 2)} % 4950 + ({h("g", 3)} % 100) / 100.0 AS numeric(14, 2)),
               CAST((50 + {h("g", 2)} % 4950) * 0.6 AS numeric(14, 2)),
               (ARRAY['piece', 'seat/year', 'day', 'set'])[1 + g % 4], true, :now, :now
        FROM generate_series(1, {PRODUCTS}) g
        ORDER BY g""",
    "customers": f"""
        INSERT INTO customers (id, kind, name, short_name, acquired_on, category_id, source_id,
                               status_id, industry_id, maturity_id, city, address, website,
                               remarks, owner_id, pool, pool_entered_at, temporary_origin,
                               created_by_id, created_at, updated_at)
        SELECT g, CASE WHEN g % 9 = 0 THEN 'individual' ELSE 'enterprise' END,
               CASE WHEN g % 9 = 0
                    THEN {pick(":family", "g", 1, 10)} || ' ' || {pick(":given", "g", 2, 12)}
                    ELSE {pick(":words", "g", 1, len(_WORDS))} || ' '
                         || {pick(":kinds", "g", 2, len(_KINDS))}
               END || ' ' || lpad(CAST(g AS text), 5, '0'),
               {pick(":words", "g", 1, len(_WORDS))},
               CAST(created AS date),
               {pick(":categories", "g", 3, "cardinality(:categories)")},
               {pick(":sources", "g", 4, "cardinality(:sources)")},
               {pick(":statuses", "g", 5, "cardinality(:statuses)")},
               {pick(":industries", "g", 6, "cardinality(:industries)")},
               CASE WHEN slot <= 10 THEN (:maturity)[1 + {h("g", 8)} % 3]
                    WHEN slot <= 13 THEN (:maturity)[4 + {h("g", 8)} % 3]
                    WHEN slot <= 18 THEN (:maturity)[7 + {h("g", 8)} % 4]
                    ELSE (:maturity)[10] END,
               city, city || ' Road ' || (1 + {h("g", 10)} % 800),
               CASE WHEN g % 9 <> 0 THEN 'https://www.example.com/c' || g END,
               CASE WHEN g % 4 = 0 THEN 'Key account since ' || CAST(created AS date) END,
               owner, pool,
               CASE pool WHEN 'private' THEN :now - make_interval(days => 1 + {h("g", 11)} % 60)
                         WHEN 'temporary' THEN :now - make_interval(
                             days => {h("g", 11)} % 5, hours => {h("g", 12)} % 20)
                         ELSE :now - make_interval(days => 1 + {h("g", 11)} % 90) END,
               CASE WHEN pool = 'temporary'
                    THEN CASE WHEN {h("g", 13)} % 3 = 0 THEN 'claimed' ELSE 'entered' END END,
               COALESCE(owner, {pick(":sales", "g", 14, ":s")}), created,
               :now - make_interval(days => {h("g", 15)} % 30)
        FROM (
            SELECT g, slot,
                   -- 55 % private, 15 % temporary (both owned), 25 % public, 5 % special;
                   -- by hash, so that the pools do not follow the id % 5 rule of orders
                   CASE WHEN slot <= 10 THEN 'private' WHEN slot <= 13 THEN 'temporary'
                        WHEN slot <= 18 THEN 'public' ELSE 'special' END AS pool,
                   CASE WHEN slot <= 13 THEN {pick(":sales", "g", 16, ":s")} END AS owner,
                   {pick(":cities", "g", 9, len(_CITIES))} AS city,
                   :now - make_interval(days => 420 + {h("g", 17)} % 400) AS created
            FROM generate_series(1, :n) g
            CROSS JOIN LATERAL (SELECT {h("g", 18)} % 20 AS slot) r
        ) s
        ORDER BY g""",
    "contacts": f"""
        INSERT INTO contacts (customer_id, name, gender, mobile, phone, email, title,
                              is_primary, created_at, updated_at)
        SELECT c.id, person, CASE WHEN {h("c.id * 8 + k", 21)} % 2 = 0 THEN 'male'
                                  ELSE 'female' END,
               '13' || lpad(CAST({h("c.id * 8 + k", 22)} % 1000000000 AS text), 9, '0'),
               CASE WHEN k % 2 = 0
                    THEN '021-' || lpad(CAST({h("c.id * 8 + k", 23)} % 100000000 AS text), 8,
                                        '0') END,
               lower(replace(person, ' ', '.')) || '.' || c.id || '.' || k || '@example.com',
               {pick(":titles", "c.id * 8 + k", 24, len(_TITLES))}, k = 1,
               c.created_at + make_interval(days => k), c.created_at + make_interval(days => k)
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 3 + {h("c.id", 20)} % 5) k
        CROSS JOIN LATERAL (
            SELECT {pick(":family", "c.id * 8 + k", 25, 10)} || ' '
                   || {pick(":given", "c.id * 8 + k", 26, 12)} AS person
        ) p
        ORDER BY c.id, k""",
    "follow_ups": f"""
        INSERT INTO follow_ups (customer_id, contact_id, method_id, content, followed_at,
                                next_step, author_id, created_at)
        SELECT c.id, fc.first_id + k % fc.n,
               {pick(":methods", "c.id * 16 + k", 31, "cardinality(:methods)")},
               {pick(":follow_up_texts", "c.id * 16 + k", 32, len(_FOLLOW_UPS))}, at,
               CASE WHEN k = 1 THEN 'Call again next week' END,
               {OWNER_OR_SALES}, at
        FROM customers c
        JOIN (SELECT customer_id, min(id) AS first_id, count(*) AS n FROM contacts
              GROUP BY customer_id) fc ON fc.customer_id = c.id
        CROSS JOIN LATERAL generate_series(1, 5 + {h("c.id", 30)} % 11) k
        -- The newest within four days, so no owned customer is due for release yet.
        CROSS JOIN LATERAL (
            SELECT CASE WHEN k = 1
                        THEN :now - make_interval(hours => 1 + {h("c.id", 33)} % 96)
                        ELSE :now - make_interval(days => (k - 1) * 14 + {h("c.id * 16 + k", 34)}
                                                  % 10, hours => {h("c.id * 16 + k", 35)} % 24)
                   END AS at
        ) t
        ORDER BY c.id, k""",
    "customers.last_follow_up_at": """
        UPDATE customers c SET last_follow_up_at = f.at
        FROM (SELECT customer_id, max(followed_at) AS at FROM follow_ups
              GROUP BY customer_id) f
        WHERE f.customer_id = c.id""",
    "tasks": f"""
        INSERT INTO tasks (customer_id, owner_id, created_by_id, created_at, updated_at,
                           content, due_at, remind_at, reminded_at, done, done_at)
        SELECT c.id, owner, owner, due - interval '7 days', due - interval '7 days',
               {pick(":task_texts", "c.id * 8 + k", 41, len(_TASKS))}, due, remind,
               CASE WHEN remind <= :now THEN remind END, done, CASE WHEN done THEN due END
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 40)} % 5) k
        CROSS JOIN LATERAL (
            SELECT {OWNER_OR_SALES} AS owner,
                   -- the first is open and due within two weeks; the others are past
                   CASE WHEN k = 1 THEN :now + make_interval(hours => 1 + {h("c.id", 42)} % 336)
                        ELSE :now - make_interval(days => (k - 1) * 9 + {h("c.id * 8 + k", 43)}
                                                  % 7) END AS due,
                   k > 1 AND {h("c.id * 8 + k", 44)} % 5 <> 0 AS done
        ) t
        CROSS JOIN LATERAL (SELECT due - interval '1 hour' AS remind) r
        ORDER BY c.id, k""",
    "schedules": f"""
        INSERT INTO schedules (customer_id, owner_id, created_by_id, created_at, updated_at,
                               title, starts_at, ends_at, remind_at, reminded_at, place, content)
        SELECT c.id, owner, owner, LEAST(starts, :now) - interval '3 days',
               LEAST(starts, :now) - interval '3 days',
               CASE WHEN k % 2 = 1 THEN 'Visit ' ELSE 'Meeting with ' END || c.short_name,
               starts, starts + make_interval(hours => 1 + k % 2), remind,
               CASE WHEN remind <= :now THEN remind END, c.city,
               CASE WHEN k = 1 THEN 'Bring the contract draft' END
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 50)} % 3) k
        CROSS JOIN LATERAL (
            SELECT {OWNER_OR_SALES} AS owner,
                   -- odd ones upcoming (the first always), even ones past
                   CASE WHEN k % 2 = 1
                        THEN date_trunc('hour', :now) + make_interval(
                            days => k + {h("c.id * 4 + k", 51)} % 10,
                            hours => {h("c.id * 4 + k", 52)} % 9)
                        ELSE date_trunc('hour', :now) - make_interval(
                            days => 1 + {h("c.id * 4 + k", 51)} % 60) END AS starts
        ) t
        CROSS JOIN LATERAL (SELECT starts - interval '30 minutes' AS remind) r
        ORDER BY c.id, k""",
    "opportunities": f"""
        INSERT INTO opportunities (customer_id, title, type_id, source_id, stage_id, amount,
                                   probability, expected_sign_date, owner_id, created_by_id,
                                   created_at, updated_at)
        SELECT c.id, c.short_name || ' deal ' || k,
               {pick(":opportunity_types", "c.id * 8 + k", 61, "cardinality(:opportunity_types)")},
               c.source_id, (:stages)[stage], CAST((20 + {h("c.id * 8 + k", 62)} % 400) * 100
                                                  AS numeric(14, 2)),
               (:stage_probabilities)[stage],
               CAST(:today AS date) + ({h("c.id * 8 + k", 63)} % 150 - 30), owner, owner,
               created, created + make_interval(days => {h("c.id * 8 + k", 64)} % 10)
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 60)} % 5) k
        CROSS JOIN LATERAL (
            SELECT {OWNER_OR_SALES} AS owner,
                   1 + {h("c.id * 8 + k", 65)} % cardinality(:stages) AS stage,
                   :now - make_interval(days => 10 + {h("c.id * 8 + k", 66)} % 150) AS created
        ) t
        ORDER BY c.id, k""",
    # Every opportunity starts at the first stage; those elsewhere moved there later.
    "opportunity_changes": """
        INSERT INTO opportunity_changes (opportunity_id, changed_by_id, changed_at,
                                         from_stage_id, to_stage_id, from_amount, to_amount,
                                         from_probability, to_probability,
                                         from_expected_sign_date, to_expected_sign_date)
        SELECT id, by_id, at, from_stage, to_stage, from_amount, amount, from_probability,
               to_probability, from_date, expected_sign_date
        FROM (
            SELECT o.id, 1 AS step, o.created_by_id AS by_id, o.created_at AS at,
                   CAST(NULL AS int) AS from_stage, (:stages)[1] AS to_stage,
                   CAST(NULL AS numeric) AS from_amount, o.amount,
                   CAST(NULL AS int) AS from_probability,
                   (:stage_probabilities)[1] AS to_probability,
                   CAST(NULL AS date) AS from_date, o.expected_sign_date
            FROM opportunities o
            UNION ALL
            SELECT o.id, 2, o.created_by_id, o.updated_at, (:stages)[1], o.stage_id, o.amount,
                   o.amount, (:stage_probabilities)[1], o.probability, o.expected_sign_date,
                   o.expected_sign_date
            FROM opportunities o WHERE o.stage_id <> (:stages)[1]
        ) changes
        ORDER BY id, step""",
    "orders": f"""
        INSERT INTO orders (customer_id, title, amount, amount_is_explicit, signed_on,
                            starts_on, expires_on, owner_id, created_by_id, created_at,
                            updated_at)
        SELECT c.id, c.short_name || ' contract ' || k, 0, false, signed, signed,
               signed + 365, owner, owner,
               {TS_OF_DAY.format(day="signed", hours=2)}, {TS_OF_DAY.format(day="signed", hours=2)}
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 2 + {h("c.id", 70)} % 2) k
        CROSS JOIN LATERAL (
            SELECT {OWNER_OR_SALES} AS owner,
                   CAST(:today AS date) - (10 + {h("c.id * 4 + k", 71)} % 400) AS signed
        ) t
        WHERE c.id % 5 <> 0
        ORDER BY c.id, k""",
    "customers.closed_won_at": """
        UPDATE customers c SET closed_won_at = o.at
        FROM (SELECT customer_id, min(created_at) AS at FROM orders GROUP BY customer_id) o
        WHERE o.customer_id = c.id""",
    # An order's amount is the sum of its lines (set next), as the order service keeps it.
    "order_lines": f"""
        INSERT INTO order_lines (order_id, position, product_id, quantity, unit_price,
                                 discount, amount)
        SELECT o.id, k - 1, p.id, quantity, p.price, discount,
               round(quantity * p.price * (1 - discount), 2)
        FROM orders o
        CROSS JOIN LATERAL generate_series(1, 1 + {h("o.id", 80)} % 2) k
        CROSS JOIN LATERAL (
            SELECT CAST(1 + {h("o.id * 4 + k", 81)} % 20 AS numeric(14, 2)) AS quantity,
                   (ARRAY[0, 0, 0.05, 0.1])[1 + {h("o.id * 4 + k", 82)} % 4] AS discount,
                   1 + {h("o.id * 4 + k", 83)} % {PRODUCTS} AS product_number
        ) t
        JOIN products p ON p.code = 'P-' || lpad(CAST(product_number AS text), 3, '0')
        ORDER BY o.id, k""",
    "orders.amount": """
        UPDATE orders o SET amount = s.total
        FROM (SELECT order_id, sum(amount) AS total FROM order_lines GROUP BY order_id) s
        WHERE s.order_id = o.id""",
    # Instalments three months apart from the signing day; the last takes the rounding.
    "payment_plans": f"""
        INSERT INTO payment_plans (order_id, due_on, amount, created_at)
        SELECT o.id, o.signed_on + (k - 1) * 90,
               CASE WHEN k < m THEN round(o.amount / m, 2)
                    ELSE o.amount - (m - 1) * round(o.amount / m, 2) END,
               o.created_at
        FROM (SELECT o.*, 1 + {h("o.id", 90)} % 3 AS m FROM orders o) o
        CROSS JOIN LATERAL generate_series(1, o.m) k
        ORDER BY o.id, k""",
    # The first instalment (due on signing) is always paid; later ones due by three days ago
    # are paid three times in four, so some are overdue.
    "payment_records": f"""
        INSERT INTO payment_records (order_id, plan_id, sequence, paid_on, amount, handler_id,
                                     invoiced, created_by_id, created_at)
        SELECT order_id, id, row_number() OVER (PARTITION BY order_id ORDER BY due_on, id),
               paid_on, amount, owner_id, invoiced, owner_id,
               {TS_OF_DAY.format(day="paid_on", hours=3)}
        FROM (
            SELECT p.id, p.order_id, p.due_on, p.amount, o.owner_id,
                   LEAST(p.due_on + {h("p.id", 101)} % 5, CAST(:today AS date)) AS paid_on,
                   p.due_on = o.signed_on OR {h("p.id", 102)} % 3 <> 0 AS invoiced
            FROM payment_plans p JOIN orders o ON o.id = p.order_id
            WHERE p.due_on <= CAST(:today AS date) - 3
              AND (p.due_on = o.signed_on OR {h("p.id", 100)} % 4 <> 0)
        ) paid
        ORDER BY order_id, due_on, id""",
    # Which plans those payments meet, by the payment service's own statement.
    "payment_plans.met": plans_met_update(),
    "orders.unmet_due_on": unmet_due_update(),
    "invoices": """
        INSERT INTO invoices (order_id, number, amount, issued_on, created_by_id, created_at)
        SELECT r.order_id, 'INV-' || lpad(CAST(r.order_id AS text), 6, '0') || '-' || r.sequence,
               r.amount, r.paid_on, r.created_by_id, r.created_at
        FROM payment_records r WHERE r.invoiced
        ORDER BY r.id""",
    "complaints": f"""
        INSERT INTO complaints (customer_id, owner_id, created_by_id, created_at, updated_at,
                                complaint_type, channel, complained_at, content, status,
                                resolution)
        SELECT c.id, {OWNER_OR_SALES}, {OWNER_OR_SALES}, at, at,
               {pick(":complaint_types", "c.id * 4 + k", 111, len(_COMPLAINTS))},
               (ARRAY['phone', 'e-mail', 'visit'])[1 + {h("c.id * 4 + k", 112)} % 3], at,
               'The customer reported a problem with the last order.', status,
               CASE WHEN status = 'resolved' THEN 'Replaced the goods.' END
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 110)} % 4 / 3) k
        CROSS JOIN LATERAL (
            SELECT :now - make_interval(days => 1 + {h("c.id * 4 + k", 113)} % 120) AS at,
                   (ARRAY['unhandled', 'in_progress', 'resolved', 'resolved'])
                       [1 + {h("c.id * 4 + k", 114)} % 4] AS status
        ) t
        ORDER BY c.id, k""",
    "service_records": f"""
        INSERT INTO service_records (customer_id, owner_id, created_by_id, created_at,
                                     updated_at, service_type, served_at, content)
        SELECT c.id, {OWNER_OR_SALES}, {OWNER_OR_SALES}, at, at,
               {pick(":service_types", "c.id * 4 + k", 121, len(_SERVICES))}, at,
               'Visited the site and helped their team.'
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 120)} % 4 / 3) k
        CROSS JOIN LATERAL (
            SELECT :now - make_interval(days => 1 + {h("c.id * 4 + k", 122)} % 200) AS at
        ) t
        ORDER BY c.id, k""",
    "customer_notes": f"""
        INSERT INTO customer_notes (customer_id, owner_id, created_by_id, created_at,
                                    updated_at, content)
        SELECT c.id, {OWNER_OR_SALES}, {OWNER_OR_SALES}, at, at,
               (ARRAY['Prefers e-mail before calls.', 'Budget is decided in March.',
                      'The purchasing manager changed.', 'Interested in the new model.'])
                   [1 + {h("c.id * 4 + k", 131)} % 4]
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 130)} % 2) k
        CROSS JOIN LATERAL (
            SELECT :now - make_interval(days => {h("c.id * 4 + k", 132)} % 300,
                                        hours => {h("c.id * 4 + k", 133)} % 24) AS at
        ) t
        ORDER BY c.id, k""",
    "call_records": f"""
        INSERT INTO call_records (customer_id, owner_id, created_by_id, created_at, updated_at,
                                  caller_number, called_at, content, processed, processed_at)
        SELECT c.id, {OWNER_OR_SALES}, {OWNER_OR_SALES}, at, at,
               '0' || lpad(CAST({h("c.id * 4 + k", 141)} % 1000000000 AS text), 10, '0'), at,
               'Asked about delivery times.', processed,
               CASE WHEN processed THEN at + interval '1 hour' END
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 140)} % 4 / 3) k
        CROSS JOIN LATERAL (
            SELECT :now - make_interval(hours => 1 + {h("c.id * 4 + k", 142)} % 2000) AS at,
                   {h("c.id * 4 + k", 143)} % 4 <> 0 AS processed
        ) t
        ORDER BY c.id, k""",
    # Income needs no approval; expenses are approved, rejected (by a manager) or pending.
    "expenses": f"""
        INSERT INTO expenses (customer_id, kind, category, amount, occurred_on, description,
                              owner_id, status, reviewed_by_id, reviewed_at, review_comment,
                              created_at, updated_at)
        SELECT c.id, entry, CASE WHEN entry = 'expense'
                                THEN {
        pick(":expense_categories", "c.id * 4 + k", 151, len(_EXPENSES))
    } END,
               CAST((500 + {h("c.id * 4 + k", 152)} % 90000) / 100.0 AS numeric(14, 2)),
               day, 'Visit to ' || c.name, {OWNER_OR_SALES}, status,
               CASE WHEN entry = 'expense' AND status <> 'pending'
                    THEN {pick(":managers", "c.id", 153, "cardinality(:managers)")} END,
               CASE WHEN entry = 'expense' AND status <> 'pending'
                    THEN {TS_OF_DAY.format(day="day + 1", hours=9)} END,
               CASE WHEN status = 'rejected' THEN 'Not within the travel policy.' END,
               {TS_OF_DAY.format(day="day", hours=10)},
               {TS_OF_DAY.format(day="day + 1", hours=9)}
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 150)} % 4 / 3) k
        CROSS JOIN LATERAL (
            SELECT CASE WHEN {h("c.id * 4 + k", 154)} % 8 = 0 THEN 'income'
                        ELSE 'expense' END AS entry,
                   CAST(:today AS date) - (1 + {h("c.id * 4 + k", 155)} % 180) AS day,
                   {h("c.id * 4 + k", 156)} % 4 AS roll
        ) t
        CROSS JOIN LATERAL (
            SELECT CASE WHEN entry = 'income' OR roll >= 2 THEN 'approved'
                        WHEN roll = 1 THEN 'rejected' ELSE 'pending' END AS status
        ) s
        ORDER BY c.id, k""",
    # Metadata only: the customer view lists files, it never opens them.
    "attachments": f"""
        INSERT INTO attachments (record_type, record_id, file_name, content_type, size, sha256,
                                 storage_key, uploaded_by_id, created_at)
        SELECT 'customer', c.id, (:file_names)[f], (:content_types)[f],
               10000 + {h("c.id * 4 + k", 161)} % 900000,
               md5('content ' || c.id || '/' || k) || md5('more ' || c.id || '/' || k),
               md5('key ' || c.id || '/' || k) || md5('bench ' || c.id || '/' || k),
               {OWNER_OR_SALES},
               :now - make_interval(days => {h("c.id * 4 + k", 162)} % 300)
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 160)} % 4 / 3) k
        CROSS JOIN LATERAL (SELECT 1 + {h("c.id * 4 + k", 163)} % {len(_FILES)} AS f) t
        ORDER BY c.id, k""",
    "customer_shares": f"""
        INSERT INTO customer_shares (customer_id, user_id, shared_by_id, created_at)
        SELECT c.id, colleague, c.owner_id,
               :now - make_interval(days => {h("c.id * 4 + k", 172)} % 60)
        FROM customers c
        CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 170)} % 2) k
        CROSS JOIN LATERAL (
            SELECT (:sales)[1 + ({h("c.id", 171)} + k * 17) % :s] AS colleague
        ) t
        WHERE c.owner_id IS NOT NULL AND colleague <> c.owner_id
        ORDER BY c.id, k""",
    # Pool caps that the seeded holdings respect (a company of this size would set them).
    "system_settings": """
        UPDATE system_settings SET
          company_name = 'Benchmark Trading Co.',
          private_pool_cap = GREATEST(private_pool_cap, (
              SELECT COALESCE(max(n), 0) FROM (SELECT count(*) AS n FROM customers
              WHERE pool = 'private' GROUP BY owner_id) p)),
          temporary_pool_cap = GREATEST(temporary_pool_cap, (
              SELECT COALESCE(max(n), 0) FROM (SELECT count(*) AS n FROM customers
              WHERE pool = 'temporary' GROUP BY owner_id) t))""",
    # Creation first, then edits and (on owned customers) the shares above, oldest first.
    "operation_logs": f"""
        INSERT INTO operation_logs (actor_id, entity_type, entity_id, action, changes,
                                    created_at)
        SELECT actor, 'customer', id, action, changes, at
        FROM (
            SELECT c.created_by_id AS actor, c.id, 'create' AS action,
                   json_build_object('pool', json_build_array(NULL, c.pool),
                                     'ownerId', json_build_array(NULL, c.owner_id)) AS changes,
                   c.created_at AS at
            FROM customers c
            UNION ALL
            SELECT {OWNER_OR_SALES}, c.id, 'update',
                   json_build_object('remarks', json_build_array(NULL, 'Visit ' || k)),
                   c.created_at + make_interval(days => k * 60 + {h("c.id * 4 + k", 181)} % 50)
            FROM customers c
            CROSS JOIN LATERAL generate_series(1, 1 + {h("c.id", 180)} % 2) k
            UNION ALL
            SELECT s.shared_by_id, s.customer_id, 'share',
                   json_build_object('sharedWith', json_build_array(NULL, s.user_id)),
                   s.created_at
            FROM customer_shares s
        ) entries
        ORDER BY at, id""",
}

COUNTED = (
    "users",
    "departments",
    "positions",
    "products",
    "customers",
    "contacts",
    "follow_ups",
    "tasks",
    "schedules",
    "opportunities",
    "opportunity_changes",
    "orders",
    "order_lines",
    "payment_plans",
    "payment_records",
    "invoices",
    "complaints",
    "service_records",
    "customer_notes",
    "call_records",
    "expenses",
    "attachments",
    "customer_shares",
    "operation_logs",
)


async def _fresh_schema(settings: Settings) -> None:
    """Drop everything in the target database, migrate it from scratch and give it the
    default settings, option lists and stages (what ``gql-crm migrate`` does)."""
    database = Database(settings)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await database.dispose()
    await asyncio.to_thread(upgrade, settings)
    database = Database(settings)
    try:
        async with database.writer() as session, session.begin():
            await ensure_defaults(session)
    finally:
        await database.dispose()


async def _organisation(settings: Settings, database: Database, now: datetime) -> None:
    """Administrator, regional departments with managers and staff, and ``bench``.

    The few named records go through the services as an administrator would create them;
    the 55 salespeople are one INSERT sharing one Argon2 hash (55 hashes would take longer
    than all the customers).
    """
    await create_administrator(settings, "admin", "Administrator", PASSWORD)
    bus = Bus("memory://")
    await bus.connect()
    services = Services(settings=settings, database=database, clock=FrozenClock(now), bus=bus)
    try:
        async with database.reader() as session:
            admin_id = await session.scalar(select(User.id).where(User.login_name == "admin"))
            assert admin_id is not None
            admin = await load_principal(session, admin_id, 1)
        async with UnitOfWork(services, admin) as uow:
            positions = {}
            for name, (description, permissions, scope) in POSITIONS.items():
                if name == "Administrator":
                    continue
                fields = dict(
                    name=name,
                    description=description,
                    permissions=tuple(permissions),
                    data_scope=scope,
                )
                positions[name] = (await position_service.create_position(uow, fields)).id
            reader = dict(
                name=BENCH_POSITION,
                description="Reads every customer in full: the customer-view benchmark.",
                permissions=BENCH_PERMISSIONS,
                data_scope=DataScope.ALL,
            )
            bench_position = (await position_service.create_position(uow, reader)).id
            head = await department_service.create_department(
                uow, name="Head Office", parent_id=None, manager_id=admin_id, sort_order=0
            )
            regions = [
                (
                    await department_service.create_department(
                        uow, name=f"Sales {region}", parent_id=head.id, manager_id=None,
                        sort_order=i + 1,
                    )
                ).id
                for i, region in enumerate(REGIONS)
            ]  # fmt: skip
            await uow.session.execute(
                update(User).where(User.id == admin_id).values(department_id=head.id)
            )
            await user_service.create_user(
                uow,
                BENCH_LOGIN,
                PASSWORD,
                dict(
                    name="Benchmark Reader",
                    department_id=head.id,
                    position_id=bench_position,
                    phone=None,
                    email="bench@example.com",
                ),
            )
            password_hash = await asyncio.to_thread(hash_password, PASSWORD)
            await uow.session.execute(
                _statement(
                    """
                    INSERT INTO users (login_name, password_hash, name, department_id,
                                       position_id, phone, email, is_active, token_version,
                                       created_at)
                    SELECT CASE WHEN s = 0 THEN 'manager' || lpad(CAST(r AS text), 2, '0')
                                ELSE 'sales' || lpad(CAST((r - 1) * :per + s AS text), 2, '0')
                           END,
                           :hash, (:family)[1 + (r * 7 + s) % 10] || ' '
                                  || (:given)[1 + (r * 5 + s * 3) % 12],
                           (:regions)[r], CASE WHEN s = 0 THEN :manager ELSE :staff END,
                           '138' || lpad(CAST(r * 100 + s AS text), 8, '0'),
                           CASE WHEN s = 0 THEN 'manager' || r
                                ELSE 'sales' || ((r - 1) * :per + s) END || '@example.com',
                           true, 1, :now
                    FROM generate_series(1, cardinality(:regions)) r,
                         generate_series(0, :per) s
                    ORDER BY r, s
                    """,
                    {
                        "per": STAFF_PER_REGION,
                        "hash": password_hash,
                        "family": list(_FAMILY),
                        "given": list(_GIVEN),
                        "regions": regions,
                        "manager": positions["Sales manager"],
                        "staff": positions["Sales staff"],
                        "now": now,
                    },
                )
            )
            managers = await uow.session.execute(
                select(User.department_id, User.id).where(User.login_name.like("manager%"))
            )
            for department_id, manager_id in managers.all():
                assert department_id is not None
                await department_service.set_department_manager(uow, department_id, manager_id)
    finally:
        await bus.disconnect()


# Secondary indexes of the loaded tables: built once after the loads (a sort) rather than
# entry by entry during them. Constraint indexes (primary keys, unique constraints) stay.
_SECONDARY_INDEXES = """
    SELECT i.indexname, i.indexdef FROM pg_indexes i
    WHERE i.schemaname = 'public' AND i.tablename = ANY(:tables)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                      WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
    ORDER BY i.tablename, i.indexname
"""


async def _drop_secondary_indexes(connection: AsyncConnection) -> list[str]:
    """Drop them; the statements that create them again (unique ones re-check their rows)."""
    tables = [t for t in LOADS if "." not in t and t != "system_settings"]
    rows = (await connection.execute(_statement(_SECONDARY_INDEXES, {"tables": tables}))).all()
    for name, _ in rows:
        await connection.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in rows]


async def _defer_foreign_key_checks(connection: AsyncConnection) -> bool:
    """Skip the per-row foreign-key triggers of this session, where the role may (superuser).

    They cost three quarters of the load (one index probe per key per row); the keys are
    checked afterwards, set-based, by ``_check_foreign_keys``.
    """
    superuser = await connection.scalar(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    )
    if superuser:
        await connection.execute(text("SET session_replication_role = replica"))
    return bool(superuser)


async def _check_foreign_keys(connection: AsyncConnection) -> None:
    """Every foreign key of the schema holds: one anti-join per key, over whole tables."""
    broken = []
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_key_constraints:
            pairs = [(e.parent.name, e.column.name) for e in key.elements]
            referred = key.referred_table.name
            sql = (
                f"SELECT count(*) FROM {table.name} c WHERE "
                + " AND ".join(f"c.{child} IS NOT NULL" for child, _ in pairs)
                + f" AND NOT EXISTS (SELECT 1 FROM {referred} p WHERE "
                + " AND ".join(f"p.{parent} = c.{child}" for child, parent in pairs)
                + ")"
            )
            if missing := await connection.scalar(text(sql)):
                broken.append(f"{table.name}.{key.name}: {missing} rows")
    if broken:
        raise RuntimeError("generated rows break foreign keys: " + "; ".join(broken))


async def _parameters(connection: AsyncConnection, customers: int, now: datetime) -> dict[str, Any]:
    async def ids(stmt: Any) -> list[int]:
        return [int(i) for i in (await connection.execute(stmt)).scalars()]

    def options(option_list: OptionList) -> Any:
        return (
            select(OptionItem.id)
            .where(OptionItem.list == option_list)
            .order_by(OptionItem.sort_order, OptionItem.id)
        )

    stages = (
        await connection.execute(
            select(OpportunityStage.id, OpportunityStage.outcome, OpportunityStage.sort_order)
            .order_by(OpportunityStage.sort_order)
        )
    ).all()  # fmt: skip
    probabilities = [
        100 if outcome == StageOutcome.WON else 0 if outcome == StageOutcome.LOST
        else min(90, 10 + 15 * i)
        for i, (_, outcome, _) in enumerate(stages)
    ]  # fmt: skip
    sales = await ids(select(User.id).where(User.login_name.like("sales%")).order_by(User.id))
    maturity = await ids(select(MaturityOption.id).order_by(MaturityOption.sort_order))
    if len(maturity) != 10:
        raise RuntimeError("expected the ten default maturity grades A-J")
    return {
        "n": customers,
        "now": now,
        "today": now.date(),
        "sales": sales,
        "s": len(sales),
        "managers": await ids(
            select(User.id).where(User.login_name.like("manager%")).order_by(User.id)
        ),
        "categories": await ids(options(OptionList.CATEGORY)),
        "sources": await ids(options(OptionList.SOURCE)),
        "statuses": await ids(options(OptionList.STATUS)),
        "industries": await ids(options(OptionList.INDUSTRY)),
        "methods": await ids(options(OptionList.FOLLOW_UP_METHOD)),
        "product_categories": await ids(options(OptionList.PRODUCT_CATEGORY)),
        "opportunity_types": await ids(options(OptionList.OPPORTUNITY_TYPE)),
        "maturity": maturity,
        "stages": [row[0] for row in stages],
        "stage_probabilities": probabilities,
        "words": list(_WORDS),
        "kinds": list(_KINDS),
        "cities": list(_CITIES),
        "family": list(_FAMILY),
        "given": list(_GIVEN),
        "titles": list(_TITLES),
        "follow_up_texts": list(_FOLLOW_UPS),
        "task_texts": list(_TASKS),
        "service_types": list(_SERVICES),
        "complaint_types": list(_COMPLAINTS),
        "expense_categories": list(_EXPENSES),
        "file_names": [name for name, _ in _FILES],
        "content_types": [kind for _, kind in _FILES],
    }


_NAMES = re.compile(r"(?<![:\w]):(\w+)")


def _typed(value: Any) -> TypeEngine[Any]:
    if isinstance(value, list):
        return ARRAY(Text()) if value and isinstance(value[0], str) else ARRAY(Integer())
    if isinstance(value, datetime):
        return DateTime(timezone=True)
    if isinstance(value, date):
        return Date()
    if isinstance(value, str):
        return Text()
    return Integer()


def _statement(sql: str, parameters: dict[str, Any]) -> TextClause:
    """The statement with its parameters typed: asyncpg cannot infer the type of an array
    (or of a value used only in ``CASE``), so each bind is sent with an explicit cast."""
    names = set(_NAMES.findall(sql))
    return text(sql).bindparams(
        *(bindparam(name, parameters[name], type_=_typed(parameters[name])) for name in names)
    )


async def seed_benchmark(
    settings: Settings,
    customers: int,
    *,
    now: datetime | None = None,
    report: Callable[[str], None] = print,
) -> SeedResult:
    """Rebuild the database of ``settings`` and fill it; every existing row is lost."""
    if settings.is_sqlite:
        raise SeedRefused(
            "the benchmark data set needs PostgreSQL (set-based generate_series loads); "
            "give a postgresql+asyncpg:// URL"
        )
    if customers < 1:
        raise SeedRefused("--customers must be at least 1")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    started = time.perf_counter()

    def step(label: str, since: float, rows: int | None = None) -> None:
        counted = f"{rows:>9,} rows " if rows is not None else " " * 15
        report(f"  {label:<28}{counted}{time.perf_counter() - since:6.2f} s")

    report(f"benchmark data: {customers:,} customers into {settings.resolved_database_url}")
    at = time.perf_counter()
    await _fresh_schema(settings)
    step("schema (migrations)", at)
    database = Database(settings)
    try:
        at = time.perf_counter()
        await _organisation(settings, database, now)
        step("organisation", at)
        async with database.engine.connect() as connection:
            parameters = await _parameters(connection, customers, now)
            indexes = await _drop_secondary_indexes(connection)
            deferred = await _defer_foreign_key_checks(connection)
            await connection.commit()
            for table, sql in LOADS.items():
                at = time.perf_counter()
                load = _statement(sql, parameters) if isinstance(sql, str) else sql
                result = await connection.execute(load)
                if table == "customers":
                    # Explicit ids 1..N: move the sequence past them for later inserts.
                    await connection.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                            "(SELECT max(id) FROM customers))"
                        )
                    )
                await connection.commit()
                step(table, at, result.rowcount)
            at = time.perf_counter()
            for definition in indexes:
                await connection.execute(text(definition))
            await connection.commit()
            step(f"indexes ({len(indexes)})", at)
            if deferred:
                at = time.perf_counter()
                await connection.execute(text("RESET session_replication_role"))
                await _check_foreign_keys(connection)
                await connection.commit()
                step("foreign keys checked", at)
        at = time.perf_counter()
        async with database.writer() as session, session.begin():
            await statistics_rollup.rebuild(session)
        step("statistics sums", at)
        at = time.perf_counter()
        async with database.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # VACUUM as well: a bulk-loaded table has no visibility map yet, and the first
            # benchmark queries would otherwise pay for setting hint bits.
            await autocommit.execute(text("VACUUM ANALYZE"))
        step("vacuum analyze", at)
        rows: dict[str, int] = {}
        async with database.engine.connect() as connection:
            for table in COUNTED:
                rows[table] = int(
                    (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
    finally:
        await database.dispose()
    seconds = time.perf_counter() - started
    related = sum(n for table, n in rows.items() if table not in _ORGANISATION)
    report("row counts:")
    for table, n in rows.items():
        report(f"  {table:<28}{n:>9,}")
    report(
        f"done in {seconds:.1f} s: {rows['customers']:,} customers and {related:,} related "
        f"rows; sign in as '{BENCH_LOGIN}' / '{PASSWORD}'"
    )
    return SeedResult(customers=customers, seconds=seconds, rows=rows)
