"""`python -m opd_ops.serve APP FD`: a service's app (`module:factory`) under uvicorn, on
the listening TCP socket it inherited as file descriptor FD (`opd_ops.processes.Service`).

Not uvicorn's own `--fd`: it takes any inherited socket for a Unix one
(`socket.fromfd(fd, AF_UNIX, ...)`), and on such a server uvloop leaves Nagle's algorithm
on the connections, so a kept-alive request waited for the client's delayed ACK: measured
44 ms a request instead of 0.6 ms. Here the socket's family is read from the descriptor.

The listening socket holds `BACKLOG` connections the server has not accepted yet, as the
gateway's command lines ask (`--backlog`, deploy/Procfile, docker-compose, deploy/k8s):
uvicorn's default, 2,048, overflowed at 2,000 bookings/s offered. A gateway whose loop is
late accepts late, its clients' new connections pile up in the kernel, and past the backlog
Linux drops their SYNs without a word (tcp_abort_on_overflow is off): each such client
tries again after 1 s, then 3 s, then 7 s, the multi-second tail of those runs
(BENCHMARKS.md, "Issue #13, eighth session"). Held, the connection is accepted on the
loop's next turn and its request refused or admitted there, at once. Linux caps the
backlog at net.core.somaxconn (4,096 on kernels since 5.4).
"""

from __future__ import annotations

import socket
import sys

import uvicorn

BACKLOG = 4096


def main() -> None:
    app, fd = sys.argv[1], int(sys.argv[2])
    listener = socket.socket(fileno=fd)  # family, type and protocol read from the socket
    config = uvicorn.Config(app, factory=True, access_log=False, backlog=BACKLOG)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
