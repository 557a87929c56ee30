"""Data generators, kept out of the domain layer: the demo company (``seed.demo``, made
through the services as its users would make it) and the customer-view benchmark data
(``seed.bench``, PostgreSQL bulk loads). Installed with the package so that ``gql-crm
seed-demo`` and ``gql-crm bench-seed`` work from a wheel; no service imports them."""
