"""Sessions of the web pages: an API key given once at sign-in becomes a signed cookie.

The cookie holds ``v1.<payload>.<signature>``: the key's id (never the key), its tenant, a
random nonce and an expiry, signed with HMAC-SHA256 under the server's secret. Every request
checks the signature, the expiry and that the key is still valid (a revoked key's sessions
end with it). CSRF tokens are bound to the session's nonce: an HMAC of it under the same
secret, sent back in a form field (``csrf``) or the ``X-CSRF-Token`` header. The sign-in form,
which has no session yet, uses a double-submit token (a cookie and a field that must match).

The secret: ``MINUTES_WEB_SECRET`` (at least 32 characters; set the same value on every
``serve`` replica), else one generated once per store and kept in a file beside the user data
(``web-secret-<store digest>``, mode 0600), so that sessions survive a restart of one
machine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from minutes.errors import ConfigError

log = logging.getLogger(__name__)

SESSION_COOKIE = "minutes_session"
SIGNIN_COOKIE = "minutes_signin"
CSRF_HEADER = "x-csrf-token"
SESSION_TTL_S = 12 * 3600
SECRET_ENV = "MINUTES_WEB_SECRET"
_MIN_SECRET = 32


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose pages it sees and the token its forms carry."""

    tenant: str
    key_id: str
    nonce: str
    expires: int
    csrf: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(database_url: str | None) -> bytes:
    """The signing secret (see the module's docstring)."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        if len(configured) < _MIN_SECRET:
            raise ConfigError(f"{SECRET_ENV} must be at least {_MIN_SECRET} characters")
        return configured.encode("utf-8")
    digest = hashlib.sha256((database_url or "default").encode("utf-8")).hexdigest()[:12]
    path = Path(platformdirs.user_data_dir("minutes")) / f"web-secret-{digest}"
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except (OSError, ValueError):
        pass
    secret = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once keep the first one's secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret.hex())
    except FileExistsError:
        return bytes.fromhex(path.read_text("ascii").strip())
    except OSError as exc:
        log.warning(
            "cannot keep the web session secret in %s (%s): sessions end at restart", path, exc
        )
    return secret


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, data: str) -> str:
        message = f"{purpose}|{data}".encode()
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def issue(
        self, tenant: str, key_id: str, *, now: float | None = None
    ) -> tuple[str, WebSession]:
        """A new session: the cookie's value and what it stands for."""
        expires = int((now if now is not None else time.time()) + SESSION_TTL_S)
        nonce = secrets.token_hex(16)
        payload = _b64(
            json.dumps({"t": tenant, "k": key_id, "n": nonce, "e": expires}).encode("utf-8")
        )
        value = f"v1.{payload}.{self._mac('session', payload)}"
        return value, self._session(tenant, key_id, nonce, expires)

    def read(self, value: str | None, *, now: float | None = None) -> WebSession | None:
        """The session a cookie holds; None when it is absent, forged, malformed or expired."""
        if not value or value.count(".") != 2:
            return None
        version, payload, signature = value.split(".")
        if version != "v1" or not hmac.compare_digest(signature, self._mac("session", payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            tenant, key_id, nonce, expires = (
                str(data["t"]),
                str(data["k"]),
                str(data["n"]),
                int(data["e"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if expires <= (now if now is not None else time.time()):
            return None
        return self._session(tenant, key_id, nonce, expires)

    def _session(self, tenant: str, key_id: str, nonce: str, expires: int) -> WebSession:
        return WebSession(tenant, key_id, nonce, expires, self._mac("csrf", nonce))

    def csrf_ok(self, session: WebSession, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(str(presented), session.csrf)

    # -- the sign-in form's double-submit token ----------------------------------------------

    def new_signin_token(self) -> str:
        nonce = secrets.token_hex(16)
        return f"{nonce}.{self._mac('signin', nonce)}"

    def signin_ok(self, cookie: str | None, field: str | None) -> bool:
        if not cookie or not field or not hmac.compare_digest(cookie, field):
            return False
        nonce, _, mac = cookie.partition(".")
        return hmac.compare_digest(mac, self._mac("signin", nonce))
