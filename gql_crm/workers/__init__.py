"""Background work (F10): the job functions, their schedule, and the two ways to run them
(arq workers with Redis; an in-process scheduler inside ``gql-crm serve`` without it)."""
