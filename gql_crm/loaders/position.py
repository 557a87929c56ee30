from __future__ import annotations

from gql_crm.db.models import Position
from gql_crm.loaders.base import Loader, LoaderSet, loader
from gql_crm.loaders.batch import rows_by_id

load_positions = rows_by_id(Position)


class PositionLoaders(LoaderSet):
    position: Loader[int, Position | None] = loader(load_positions)
