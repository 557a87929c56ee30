"""gql-crm: a multi-user sales CRM served as one GraphQL graph."""
