"""``python -m gql_crm`` is the ``gql-crm`` command."""

from gql_crm.cli import main

main()
