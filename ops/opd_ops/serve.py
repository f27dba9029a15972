"""`python -m opd_ops.serve APP FD`: a service's app (`module:factory`) under uvicorn, on
the listening TCP socket it inherited as file descriptor FD (`opd_ops.processes.Service`).

Not uvicorn's own `--fd`: it takes any inherited socket for a Unix one
(`socket.fromfd(fd, AF_UNIX, ...)`), and on such a server uvloop leaves Nagle's algorithm
on the connections, so a kept-alive request waited for the client's delayed ACK: measured
44 ms a request instead of 0.6 ms. Here the socket's family is read from the descriptor.
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def main() -> None:
    app, fd = sys.argv[1], int(sys.argv[2])
    listener = socket.socket(fileno=fd)  # family, type and protocol read from the socket
    config = uvicorn.Config(app, factory=True, access_log=False)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
