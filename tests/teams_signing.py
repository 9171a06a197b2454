"""Bot Framework tokens for tests: RSA keys made here, and RS256 JWTs signed with them as the Bot Connector signs
the requests it sends a bot, plus the bad tokens a bot must refuse (expired, wrong audience, wrong key, unsigned,
for another service URL).

Nothing here is a real credential: the keys are made when the test session imports this module and never leave it.
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

# The issuer of every token the Bot Connector sends a bot (Bot Framework's connector authentication).
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
# The audience of the tokens Entra issues a bot for calling the Bot Connector, and the scope it asks for.
BOT_CONNECTOR_AUDIENCE = "https://api.botframework.com"
BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default"
TOKEN_LIFETIME_SECONDS = 3600
# Bot Framework accepts five minutes of clock skew; an expired token here is well past that.
EXPIRED_BY_SECONDS = 3600


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key and the key id its public half is published under."""

    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWKS entry, as Bot Framework's key document lists it."""
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": jwk["n"], "e": jwk["e"]}


def make_key(kid: str) -> SigningKey:
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


# The key the fake Entra publishes, and one it never heard of (published under the same kid in wrong-key tokens,
# so the signature itself is what fails, not the key look-up).
TEST_KEY = make_key("kpibot-test-key-1")
WRONG_KEY = make_key("kpibot-test-key-1")


def mint(claims: dict[str, Any], key: SigningKey = TEST_KEY, kid: str | None = None) -> str:
    """An RS256 JWT of `claims`, its header naming `kid` (the key's own unless given)."""
    return jwt.encode(claims, key.private, algorithm="RS256",
                      headers={"kid": kid or key.kid, "x5t": kid or key.kid, "typ": "JWT"})


def bot_framework_claims(app_id: str, service_url: str, now: float | None = None,
                         lifetime: int = TOKEN_LIFETIME_SECONDS, **overrides: Any) -> dict[str, Any]:
    """The claims of a token the Bot Connector sends with an activity: issuer, audience the bot's app id, the
    activity's serviceUrl, and its validity window. `overrides` replace or add claims (None drops one)."""
    issued = int(now if now is not None else time.time())
    claims = {"serviceurl": service_url, "nbf": issued, "iat": issued, "exp": issued + lifetime,
              "iss": BOT_FRAMEWORK_ISSUER, "aud": app_id}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def inbound_token(app_id: str, service_url: str, key: SigningKey = TEST_KEY, **overrides: Any) -> str:
    """A valid Bot Connector token for an activity sent to `app_id` from `service_url`."""
    return mint(bot_framework_claims(app_id, service_url, **overrides), key)


def expired_token(app_id: str, service_url: str) -> str:
    then = time.time() - TOKEN_LIFETIME_SECONDS - EXPIRED_BY_SECONDS
    return mint(bot_framework_claims(app_id, service_url, now=then))


def wrong_audience_token(app_id: str, service_url: str, audience: str = "00000000-0000-0000-0000-0000000000aa") -> str:
    """Signed by the right key for another bot."""
    return mint(bot_framework_claims(app_id, service_url, aud=audience))


def wrong_key_token(app_id: str, service_url: str) -> str:
    """Every claim right, signed by a key nobody published (under the published key's id)."""
    return mint(bot_framework_claims(app_id, service_url), WRONG_KEY)


def unsigned_token(app_id: str, service_url: str, kid: str = TEST_KEY.kid) -> str:
    """The right claims with alg "none" and no signature: the oldest trick against a JWT check."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{_b64(header)}.{_b64(bot_framework_claims(app_id, service_url))}."


def service_url_mismatch_token(app_id: str, service_url: str,
                               claimed: str = "https://smba.trafficmanager.net/emea/") -> str:
    """Signed for a different service URL than the activity names: a token lifted from one conversation's traffic."""
    return mint(bot_framework_claims(app_id, claimed))


def bad_tokens(app_id: str, service_url: str) -> dict[str, str]:
    """Each token a bot must refuse, by what is wrong with it."""
    return {"wrong key": wrong_key_token(app_id, service_url),
            "wrong audience": wrong_audience_token(app_id, service_url),
            "expired": expired_token(app_id, service_url),
            "alg none": unsigned_token(app_id, service_url),
            "serviceurl mismatch": service_url_mismatch_token(app_id, service_url)}


def unverified_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=").decode()
