"""One TLS context for every HTTP client of a process.

httpx builds an ``ssl.SSLContext`` for each client it makes, and that loads the whole CA
bundle: 28 ms for the context, 66 ms for a default ``httpx.AsyncClient`` against 3 ms for
one given a context, on the 2-core machine. A service job makes several clients (an SDK
client per provider, LangChain's sync client beside each chat model, a probe per local
server), so under load most of a worker's CPU went into reading certificates. An
``SSLContext`` is meant to be shared by many connections and threads; it is built on first
use, so ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` set before then still apply.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's client TLS context: httpx's defaults (certifi, or the environment's)."""
    import httpx

    return httpx.create_ssl_context()
