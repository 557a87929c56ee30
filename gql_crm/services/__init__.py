"""Domain operations: rules, writes, the operation log and events, one module per domain."""
