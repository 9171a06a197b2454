"""The fake Entra and Bot Connector answer as the real ones do: the Teams SDK's own token check accepts the tokens
minted here and refuses the bad ones; the SDK's own client posts to the fake connector; faults come back with
the Bot Connector's statuses and bodies."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request

import jwt
import pytest
from microsoft_teams.api.activities.message import MessageActivityInput
from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
from microsoft_teams.api.clients.api_client import ApiClient
from microsoft_teams.api.models import Attachment
from microsoft_teams.apps.auth.token_validator import TokenValidator
from microsoft_teams.common import ClientOptions

from tests.fake_teams import (  # noqa: F401  (fixtures)
    ADAPTIVE_CARD, APP_ID, APP_PASSWORD, TENANT_ID, FakeConnector, FakeEntra, TeamsUser, fake_connector, fake_entra,
    installation_activity, message_activity,
)
from tests.teams_signing import BOT_CONNECTOR_SCOPE, TEST_KEY, bad_tokens, unverified_claims

ANNE = TeamsUser("29:1anne-fake-id", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "Anne Analyst")
GUEST = TeamsUser("29:1gus-fake-id", "7f6e5d4c-3b2a-4190-8807-f6e5d4c3b2a1", "Gus Guest", role="guest")
CHANNEL = "19:perf0general@thread.tacv2"


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def _post(url: str, body: dict | None = None, token: str | None = None, form: dict | None = None,
          method: str = "POST") -> tuple[int, dict, dict]:
    headers = {"Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    if form is not None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        data = urllib.parse.urlencode(form).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def _credentials(**changes) -> dict:
    return {"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_PASSWORD,
            "scope": BOT_CONNECTOR_SCOPE, **changes}


def _access_token(entra: FakeEntra) -> str:
    return _post(entra.token_url, form=_credentials())[1]["access_token"]


def _validator(entra: FakeEntra) -> TokenValidator:
    return TokenValidator.for_service(APP_ID, cloud=with_overrides(PUBLIC, openid_metadata_url=entra.metadata_url))


def test_the_metadata_names_the_keys_and_the_keys_are_endorsed_for_teams(fake_entra):
    metadata = _get(fake_entra.metadata_url)
    assert metadata["issuer"] == "https://api.botframework.com"
    assert metadata["jwks_uri"] == fake_entra.base_url + "/v1/.well-known/keys"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    [key] = _get(metadata["jwks_uri"])["keys"]
    assert (key["kty"], key["kid"], key["endorsements"]) == ("RSA", "kpibot-test-key-1", ["msteams"])
    assert fake_entra.key_fetches == 1


def test_an_inbound_token_carries_bot_frameworks_claims(fake_entra):
    token = fake_entra.mint_inbound("http://127.0.0.1:1/emea/")
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "kpibot-test-key-1",
                                                "x5t": "kpibot-test-key-1", "typ": "JWT"}
    claims = unverified_claims(token)
    assert (claims["iss"], claims["aud"], claims["serviceurl"]) == (
        "https://api.botframework.com", APP_ID, "http://127.0.0.1:1/emea/")
    assert claims["exp"] - claims["nbf"] == 3600 and claims["iat"] == claims["nbf"]


def test_the_sdks_own_check_accepts_a_minted_token_and_refuses_every_bad_one(fake_entra):
    service_url = "http://127.0.0.1:1/emea/"
    validator = _validator(fake_entra)
    claims = asyncio.run(validator.validate_token(fake_entra.mint_inbound(service_url), service_url))
    assert claims["aud"] == APP_ID
    refused = {}
    for what, token in bad_tokens(APP_ID, service_url).items():
        with pytest.raises(jwt.InvalidTokenError) as caught:
            asyncio.run(validator.validate_token(token, service_url))
        refused[what] = type(caught.value).__name__
    assert refused == {"wrong key": "InvalidSignatureError", "wrong audience": "InvalidAudienceError",
                       "expired": "ExpiredSignatureError", "alg none": "InvalidAlgorithmError",
                       "serviceurl mismatch": "InvalidTokenError"}


def test_the_token_endpoint_issues_a_connector_token_for_the_bots_credentials_only(fake_entra):
    status, body, _ = _post(fake_entra.token_url, form=_credentials())
    assert status == 200
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    claims = fake_entra.verify(body["access_token"])
    assert (claims["aud"], claims["appid"], claims["tid"]) == ("https://api.botframework.com", APP_ID, TENANT_ID)
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "RS256"
    refusals = [_post(fake_entra.token_url, form=_credentials(**change))[:2] for change in (
        {"client_secret": "guessed"}, {"scope": "https://graph.microsoft.com/.default"},
        {"grant_type": "password"}, {"client_id": "someone-else"})]
    assert [(status, body["error"]) for status, body in refusals] == [
        (401, "invalid_client"), (400, "invalid_scope"), (400, "unsupported_grant_type"),
        (400, "unauthorized_client")]
    assert len(fake_entra.token_requests()) == 5 and fake_entra.tokens_issued == 1
    tenant_path = f"{fake_entra.base_url}/{TENANT_ID}/oauth2/v2.0/token"
    assert _post(tenant_path, form=_credentials())[0] == 200   # Entra's own path for the tenant works too


def test_the_token_endpoint_can_be_told_to_refuse(fake_entra):
    fake_entra.fail_next(401, "invalid_client")
    assert _post(fake_entra.token_url, form=_credentials())[:2][0] == 401
    assert _post(fake_entra.token_url, form=_credentials())[0] == 200


def test_the_connector_refuses_a_request_without_an_entra_token(fake_entra, fake_connector):
    url = fake_connector.service_url + "v3/conversations/a:1x/activities"
    activity = {"type": "message", "text": "hi"}
    assert _post(url, activity)[:2] == (401, {"message": "Authorization has been denied for this request."})
    assert _post(url, activity, token=fake_entra.mint_inbound(fake_connector.service_url))[0] == 401  # not Entra's
    assert _post(url, activity, token=TEST_KEY.kid)[0] == 401
    assert fake_connector.activities() == []
    assert [r.status for r in fake_connector.requests()] == [401, 401, 401]


def test_the_sdks_client_posts_replies_updates_and_reads_the_roster(fake_entra, fake_connector):
    fake_connector.add_member(ANNE)
    fake_connector.add_member(GUEST, "a:1guest")
    token = _access_token(fake_entra)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "58%"}]}
    message = MessageActivityInput(text="58%").add_attachments(Attachment(content_type=ADAPTIVE_CARD, content=card))

    async def converse():
        api = ApiClient(fake_connector.service_url, ClientOptions(token=token))
        conversations = api.conversations
        sent = await conversations.create_activity("a:1anne", message)
        reply = await conversations.reply_to_activity("a:1anne", sent.id, MessageActivityInput(text="and the baseline"))
        await conversations.update_activity("a:1anne", sent.id, MessageActivityInput(text="58% (updated)"))
        anne = await conversations.get_member_by_id("a:1anne", ANNE.aad_object_id)
        guest = await conversations.get_member_by_id("a:1guest", GUEST.id)
        return sent.id, reply.id, anne, guest

    sent_id, reply_id, anne, guest = asyncio.run(converse())
    posted = fake_connector.activities("a:1anne")
    assert [(a["id"], a.get("replyToId"), a["text"]) for a in posted] == [
        (sent_id, None, "58%"), (reply_id, sent_id, "and the baseline"), (sent_id, None, "58% (updated)")]
    assert {r.token for r in fake_connector.requests()} == {token}
    assert (anne.aad_object_id, anne.user_role, guest.user_role) == (ANNE.aad_object_id, "user", "guest")
    assert fake_connector.cards("a:1anne") == [card]


def test_a_personal_chat_is_made_once_for_each_member(fake_entra, fake_connector):
    token = _access_token(fake_entra)
    url = fake_connector.service_url + "v3/conversations"
    body = {"members": [{"id": ANNE.id}], "tenantId": TENANT_ID, "channelData": {"tenant": {"id": TENANT_ID}}}
    first, again = _post(url, body, token), _post(url, body, token)
    other = _post(url, {**body, "members": [{"id": GUEST.id}]}, token)
    assert (first[0], first[1]["id"]) == (201, "a:1fake0001")
    assert again[1] == first[1] and other[1] == {"id": "a:1fake0002"}
    assert fake_connector.personal_chat(ANNE.id) == "a:1fake0001"
    fake_connector.add_member(ANNE)
    by_entra_id = _post(url, {**body, "members": [{"id": ANNE.aad_object_id}]}, token)
    assert by_entra_id[1] == {"id": "a:1fake0001"}   # the same person named by their Entra object id
    assert _post(url, {**body, "members": []}, token)[0] == 400
    assert _post(url, {"members": [{"id": ANNE.id}]}, token)[0] == 400   # a proactive chat names its tenant


def test_an_unknown_member_is_not_found(fake_entra, fake_connector):
    token = _access_token(fake_entra)
    request = urllib.request.Request(fake_connector.service_url + "v3/conversations/a:1x/members/29:nobody",
                                     headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 (loopback)
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"]["code"] == "MemberNotFoundInConversation"


@pytest.mark.parametrize("status, code", [(429, "TooManyRequests"), (412, "PreconditionFailed"),
                                          (502, "BadGateway"), (504, "GatewayTimeout"),
                                          (403, "BotNotInConversationRoster")])
def test_faults_answer_the_next_requests_then_the_connector_takes_them(fake_entra, fake_connector, status, code):
    token = _access_token(fake_entra)
    url = fake_connector.service_url + f"v3/conversations/{CHANNEL}/activities"
    fake_connector.fail_next(status, times=2, retry_after=7 if status == 429 else None)
    answers = [_post(url, {"type": "message", "text": str(n)}, token) for n in range(3)]
    assert [a[0] for a in answers] == [status, status, 201]
    assert answers[0][1]["error"]["code"] == code
    assert answers[0][2].get("Retry-After") == ("7" if status == 429 else None)
    assert [a["text"] for a in fake_connector.activities(CHANNEL)] == ["2"]


def test_a_fault_can_name_its_conversation_and_a_removed_bot_is_refused_for_good(fake_entra, fake_connector):
    token = _access_token(fake_entra)
    fake_connector.fail_next(403, conversation_id=CHANNEL)
    other = _post(fake_connector.service_url + "v3/conversations/a:1other/activities", {"type": "message"}, token)
    assert other[0] == 201
    url = fake_connector.service_url + f"v3/conversations/{CHANNEL}/activities"
    assert _post(url, {"type": "message"}, token)[0] == 403
    assert _post(url, {"type": "message"}, token)[0] == 201
    fake_connector.remove_bot(CHANNEL)
    assert [_post(url, {"type": "message"}, token)[0] for _ in range(2)] == [403, 403]


def test_an_activity_over_the_size_limit_is_refused(fake_entra, fake_connector):
    token = _access_token(fake_entra)
    url = fake_connector.service_url + "v3/conversations/a:1anne/activities"
    big = {"type": "message", "text": "x" * 100_000}
    status, body, _ = _post(url, big, token)
    assert (status, body["error"]["code"]) == (413, "MessageSizeTooBig")
    assert _post(url, {"type": "message", "text": "x" * 99_000}, token)[0] == 201


def test_activities_are_built_as_teams_sends_them():
    personal = message_activity("kpi calls-under-25s", "a:1anne", ANNE, service_url="http://127.0.0.1:9/emea/")
    assert personal["text"] == "kpi calls-under-25s"
    assert personal["conversation"] == {"conversationType": "personal", "tenantId": TENANT_ID, "id": "a:1anne"}
    assert personal["from"] == {"id": ANNE.id, "name": "Anne Analyst", "aadObjectId": ANNE.aad_object_id}
    assert personal["recipient"] == {"id": f"28:{APP_ID}", "name": "kpibot"}
    channel = message_activity("digest subscribe weekly", CHANNEL, ANNE, conversation_type="channel")
    assert channel["text"] == "<at>kpibot</at> digest subscribe weekly"
    assert channel["conversation"]["id"] == f"{CHANNEL};messageid={channel['id']}"
    assert channel["channelData"]["channel"] == {"id": CHANNEL}
    assert channel["entities"][0]["mentioned"] == {"id": f"28:{APP_ID}", "name": "kpibot"}
    installed = installation_activity(CHANNEL, ANNE)
    assert (installed["type"], installed["action"], installed["conversation"]["id"]) == (
        "installationUpdate", "add", CHANNEL)
    assert installed["channelData"]["team"]["id"] == CHANNEL
