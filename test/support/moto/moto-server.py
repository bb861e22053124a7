"""moto in server mode, one request at a time, on a port the OS picks.

moto's own `moto_server` serves requests on threads, and its S3 PutObject checks If-Match /
If-None-Match and then writes without a lock: two racing conditional writes could both pass the
check. Real S3 decides them atomically. Serving one request at a time makes each conditional write
atomic here too, so a compare-and-swap race test can only pass if the code under test is right.
(werkzeug then speaks HTTP/1.0 and closes each connection, so no client can hold the server.)

Binding port 0 and printing the bound address avoids the free-port race; the line is the
readiness signal (test/support/moto.ts waits for it).
usage: moto-server.py <host>
"""

import os
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, 0, app, threaded=False, request_handler=MotoRequestHandler)
    # moto builds some URLs (e.g. presigned ones) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"moto listening on http://{host}:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
