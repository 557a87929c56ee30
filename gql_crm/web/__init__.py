"""HTTP and WebSocket endpoints: the GraphQL view, its WebSocket protocol, uploads, health.

``gql_crm.app.create_app`` puts them together with the runtime (``gql_crm.runtime``).
"""
