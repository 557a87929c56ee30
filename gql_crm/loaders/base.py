"""What every loader module builds on: the request's loaders and the named-loader declaration.

A loader module declares its loaders where their load functions live, in a ``LoaderSet``
subclass, one line each::

    class OrderLoaders(LoaderSet):
        order_lines: Loader[int, list[OrderLine]] = loader(load_lines)
        customer_orders: Loader[tuple[int, int], list[Order]] = scoped_loader(load_orders)

``Loaders`` (``loaders/__init__.py``) is all the modules' sets together, so
``info.context.loaders.order_lines.load(key)`` is typed by that line. A name's DataLoader is
made on first use in a request, then found as a plain attribute; it is the same one
``loaders.of(load_lines)`` gives, so a relation declared by its load function alone
(``schema/kit.py``) shares it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, overload

from strawberry.dataloader import DataLoader

from gql_crm.auth.principal import Principal
from gql_crm.db.engine import Reads

K = TypeVar("K")
V = TypeVar("V")


class LoaderSet:
    """The request's loaders: one DataLoader per load function, made when first used."""

    # Every declared set, so that ``Loaders`` can check it leaves none out.
    declared: ClassVar[list[type[LoaderSet]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        LoaderSet.declared.append(cls)

    def __init__(self, reads: Reads, principal: Callable[[], Principal] | None = None) -> None:
        # The request's reads: list queries outside the loaders take their turn here too.
        self.reads = reads
        # Loaders of scoped records (opportunities, orders, money) filter by the caller; the
        # principal is asked for lazily, since a WebSocket context learns it after creation.
        self._principal = principal
        self._of: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise RuntimeError("these loaders were built without a principal")
        return self._principal()

    def of(self, load: Callable[[Reads, Sequence[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
        """The request's one DataLoader for a module-level load function."""
        found = self._of.get(load)
        if found is None:
            found = self._of[load] = DataLoader(lambda keys: load(self.reads, keys))
        return found

    def scoped(
        self, load: Callable[[Reads, Principal, Sequence[K]], Awaitable[list[V]]]
    ) -> DataLoader[K, V]:
        """``of`` for a load function that keeps what the caller may see."""
        found = self._of.get(load)
        if found is None:
            found = self._of[load] = DataLoader(lambda keys: load(self.reads, self.principal, keys))
        return found


class Loader(Generic[K, V]):
    """A named loader: on a ``LoaderSet`` instance, the request's DataLoader for it."""

    __slots__ = ("_bind", "_name")

    def __init__(self, bind: Callable[[LoaderSet], DataLoader[K, V]]) -> None:
        self._bind = bind
        self._name = ""

    def __set_name__(self, owner: type[LoaderSet], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type[LoaderSet]) -> Loader[K, V]: ...

    @overload
    def __get__(self, instance: LoaderSet, owner: type[LoaderSet]) -> DataLoader[K, V]: ...

    def __get__(
        self, instance: LoaderSet | None, owner: type[LoaderSet]
    ) -> Loader[K, V] | DataLoader[K, V]:
        if instance is None:
            return self
        found = self._bind(instance)
        # Later reads of the name in this request find it in the instance, without this call.
        instance.__dict__[self._name] = found
        return found


def loader(load: Callable[[Reads, Sequence[K]], Awaitable[list[V]]]) -> Loader[K, V]:
    """Declare a named loader over ``load(reads, keys)``."""
    return Loader(lambda loaders: loaders.of(load))


def scoped_loader(
    load: Callable[[Reads, Principal, Sequence[K]], Awaitable[list[V]]],
) -> Loader[K, V]:
    """Declare a named loader over ``load(reads, principal, keys)``: what the caller may see."""
    return Loader(lambda loaders: loaders.scoped(load))
