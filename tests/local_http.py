"""The HTTP server every local fake runs on (Slack's Web API, Teams' Bot Connector and Entra, Graph)."""
from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when a test fires many requests at once.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (a timeout test) closes its end: that is expected, not an error."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)
