"""GraphQL-facing functions: arguments -> service call -> result type. No rules, no SQL."""
