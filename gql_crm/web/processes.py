"""Several server processes, each accepting connections on a listening socket of its own.

uvicorn's ``--workers`` shares one listening socket among its processes, and the process that
wakes first accepts every connection then pending: a burst of new connections (a proxy's
pool opening, front ends reconnecting after a deploy) lands on one process while the others
idle, and stays there as long as the connections are kept alive. On Linux each process here
binds the port itself with ``SO_REUSEPORT``, and the kernel spreads new connections over the
sockets by their addresses. The parent starts the processes, starts another when one ends,
and stops them all on SIGINT or SIGTERM (each finishes the requests it holds first).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
from multiprocessing.context import SpawnProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")


def own_sockets_supported() -> bool:
    """Whether the kernel balances connections across sockets bound with ``SO_REUSEPORT``
    (Linux does; BSD and macOS give them all to one socket)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _socket(host: str, port: int, *, shared: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _listening(config: uvicorn.Config, *, shared: bool) -> socket.socket:
    """``_socket`` on the configured address, or the process exits as uvicorn's own
    startup does when it cannot listen."""
    try:
        return _socket(config.host, config.port, shared=shared)
    except OSError as error:
        logger.error("Cannot listen on %s:%s: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)


def _stop_when_the_parent_ends() -> None:
    """A process whose parent was killed (it cannot pass on a signal then) stops too, as
    on SIGTERM, instead of serving on unsupervised."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)


def _serve(config: uvicorn.Config) -> None:
    """One server process: its own socket on the port, then uvicorn's server on it."""
    threading.Thread(target=_stop_when_the_parent_ends, daemon=True).start()
    config.configure_logging()
    uvicorn.Server(config).run(sockets=[_listening(config, shared=True)])


def serve(config: uvicorn.Config, workers: int) -> None:
    """Serve ``config`` from ``workers`` processes until SIGINT or SIGTERM."""
    # A port some other server holds is an error here, as it is for a single socket: the
    # processes' own sockets would otherwise join that server's and share its connections.
    _listening(config, shared=False).close()
    stop = threading.Event()

    def stopping(signum: int, _frame: Any) -> None:
        logger.info("Received %s, stopping the server processes", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopping)
    context = multiprocessing.get_context("spawn")

    def started() -> SpawnProcess:
        process = context.Process(target=_serve, args=(config,), name="gql-crm server")
        process.start()
        return process

    processes = [started() for _ in range(workers)]
    failed = False
    try:
        while not stop.wait(0.5):
            for index, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:  # it would fail the same way again
                    logger.error("Server process %s could not start: stopping", process.pid)
                    failed = True
                    stop.set()
                    break
                logger.warning(
                    "Server process %s ended (exit code %s): starting another",
                    process.pid,
                    process.exitcode,
                )
                processes[index] = started()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
    if failed:
        sys.exit(STARTUP_FAILURE)
