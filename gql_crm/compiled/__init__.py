"""Read queries answered by one SQL statement that builds the whole JSON response.

A customer view selects some 300 fields over 16 relations. Run through graphql-core, every
field is a resolver call and every relation a loader batch: about 21 statements and 23 ms
of Python per view, where a server that compiles GraphQL to SQL spends a few milliseconds
in all. On PostgreSQL, a query document whose every field is known here (``graph.py``) is
planned once into a statement of nested ``json_build_object`` / ``json_agg`` subqueries
that returns the response body itself; per request it costs the authentication, one
statement and the bytes.

Both paths must answer alike, so the plan reuses the same rules: the root field's row comes
from the same customer query, lists from the loaders' orders and the services' visibility
rules, masks from ``auth/masking.py``, scalars as Strawberry serializes them; a test runs
documents through both and compares the bytes' meaning. Anything not known here (resolver
fields, interfaces, directives, mutations) and any request that would answer with an error
(no token, a missing permission, bad variables, ``first`` out of range) goes to Strawberry.
The statement embeds the caller's scope, so it is cached per scope, like ``per_principal``.
"""
