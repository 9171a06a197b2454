"""Credentials kept out of every message: a URL's password, Slack tokens, and the values of secret settings.

Settings reach people in error lines (a database URL that will not do, a host out of reach) and in logs.
Whatever carries such a line passes it through mask() first, with the secret values the process knows.
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
# Settings whose whole value is a secret: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, and any
# other *_TOKEN, *_SECRET or *_PASSWORD (field names too: slack_bot_token).
_SECRET_NAME = re.compile(r"(?:^|_)(?:TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
# scheme://user:password@host. The password runs to the last @ before a space or quote: one typed with an
# unescaped @ or / (u:SEC@RET@host) is masked whole, never half.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@'\"]*:)[^\s'\"]*@")
# ?password=... in a URL's query (libpq and SQLAlchemy both take one there).
_QUERY_SECRET_NAMES = ("password", "passwd", "pwd", "secret", "token", "access_token", "api_key", "apikey",
                       "sslpassword")
# The value runs to the next parameter, or to the end of the URL (a space, a quote, or ": " in a message).
_QUERY_SECRET = re.compile(rf"(?P<head>[?&;](?:{'|'.join(_QUERY_SECRET_NAMES)})=)[^&;#\s'\"]*?(?=[&;#\s'\"]|:\s|$)",
                           re.IGNORECASE)
# Slack's tokens have a shape of their own: xoxb-..., xoxp-..., xapp-...
_SLACK_TOKEN = re.compile(r"\b(?P<head>xox[a-z]|xapp)-[A-Za-z0-9-]+")
# A secret value shorter than this is not searched for on its own: masking every "a" would say nothing.
MIN_SECRET_LENGTH = 4


def is_secret_name(name: str) -> bool:
    """Whether a setting's whole value is a secret, by its name."""
    return bool(_SECRET_NAME.search(name))


def url_secrets(url: str) -> list[str]:
    """The secrets a URL carries, as written: the password of its user part, and password or token values
    in its query (postgresql://u@h/db?password=...)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    userinfo, at, _ = parts.netloc.rpartition("@")
    found = [userinfo.split(":", 1)[1]] if at and ":" in userinfo else []
    for pair in re.split(r"[&;]", parts.query):
        name, equals, value = pair.partition("=")
        if equals and name.lower() in _QUERY_SECRET_NAMES:
            found.append(value)
    return [f for f in found if f]


def mask(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every credential in it replaced by ***: URL passwords (user:***@host), password and token
    query values, Slack tokens (xoxb-***), and each of `secrets` wherever it appears, as written or URL-encoded."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", str(text))
    text = _QUERY_SECRET.sub(lambda m: f"{m['head']}{MASK}", text)
    text = _SLACK_TOKEN.sub(lambda m: f"{m['head']}-{MASK}", text)
    for secret in _forms(secrets):
        text = text.replace(secret, MASK)
    return text


def _forms(secrets: Iterable[str | None]) -> list[str]:
    """Each secret as written, decoded and encoded (a URL holds SE%40CRET, a driver's message SE@CRET), longest
    first, so that a secret inside another is not left half shown."""
    forms = set()
    for secret in secrets:
        if secret:
            forms.update({secret, secret.strip(), unquote(secret), quote(secret, safe="")})
    return sorted((f for f in forms if len(f) >= MIN_SECRET_LENGTH), key=len, reverse=True)
