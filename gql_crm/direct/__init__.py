"""The executor-free paths: answers built without graphql-core's executor.

Strawberry answers a document by executing it: graphql-core calls a resolver per field, a
loader per relation, runs the schema extensions over the result, and for a subscription
does all of that again for every event. For the documents front ends repeat, that machinery
costs far more than the data. "Executor-free" means such a document is read once (parsed,
validated, its selections collected: ``selections.py``) into a plan, and each request or
event then only fills the plan in:

- **compiled reads** (``compiled_graph.py``, ``compiled_planner.py``, ``compiled_sql.py``):
  on PostgreSQL, a query whose every field is known is one SQL statement that returns the
  response body;
- **direct subscriptions** (``subscriptions.py``, ``frames.py``): a plain selection is a
  projection of the event, written as a frame in the bus's delivery pass.

Both paths exist side by side on purpose. The resolver path (Strawberry, resolvers, loaders)
is the reference and the fallback: it answers everything, errors included, and anything a
plan does not know (a resolver field, an interface, a directive, a mutation, a request that
must fail) goes to it unchanged. The executor-free paths reuse its rules (declared
permissions, ``db/visibility.py``, the loaders' orders, the masks, the feeds' per-event
checks), and tests hold both paths' answers equal.
"""
