"""Bot Framework authentication at the Teams adapter's door: a request without a token, or with a token that is
unsigned, signed by another key, for another bot, expired, or for another service URL, gets 401 and no answer."""
from __future__ import annotations

import pytest

from tests.teams_e2e_kit import require_serving

require_serving()

from tests.fake_teams import APP_ID, TENANT_ID, message_activity  # noqa: E402
from tests.teams_e2e_kit import ANNE, ANNE_CHAT, teams  # noqa: E402,F401  (fixture)
from tests.teams_signing import bad_tokens  # noqa: E402

BAD = ["wrong key", "wrong audience", "expired", "alg none", "serviceurl mismatch"]


def _activity(teams):
    return message_activity("kpi calls-under-25s", ANNE_CHAT, ANNE, TENANT_ID, teams.service_url)


def test_no_token_gets_401_and_no_answer(teams):
    status, _ = teams.send(_activity(teams), token=None)
    assert status == 401
    assert teams.connector.requests() == []


@pytest.mark.parametrize("what", BAD)
def test_a_bad_token_gets_401_and_no_answer(teams, what):
    token = bad_tokens(APP_ID, teams.service_url)[what]
    status, _ = teams.send(_activity(teams), token=token)
    assert status == 401, what
    assert teams.connector.requests() == []


def test_a_good_token_after_the_bad_ones_is_answered(teams):
    for token in bad_tokens(APP_ID, teams.service_url).values():
        assert teams.send(_activity(teams), token=token)[0] == 401
    assert teams.send(_activity(teams))[0] == 200
    teams.connector.wait_for(lambda: teams.connector.activities(ANNE_CHAT))
    assert len(teams.connector.activities(ANNE_CHAT)) == 1


def test_a_token_for_this_bot_cannot_be_replayed_for_another_service_url(teams):
    """The token names the service URL the Bot Connector sent from; an activity claiming another one (where the
    bot would post its answer, and its token) is refused."""
    activity = _activity(teams)
    token = teams.entra.mint_inbound(teams.service_url)
    activity["serviceUrl"] = "http://127.0.0.1:9/elsewhere/"
    assert teams.send(activity, token=token)[0] == 401
    assert teams.connector.requests() == []


def test_the_bots_own_token_is_fetched_once_for_its_client_credentials_and_reused(teams):
    for _ in range(3):
        assert teams.send(_activity(teams))[0] == 200
    teams.connector.wait_for(lambda: len(teams.connector.activities(ANNE_CHAT)) == 3)
    [fetched] = teams.entra.token_requests()
    assert (fetched.status, fetched.form["grant_type"], fetched.form["client_id"]) == (
        200, "client_credentials", APP_ID)
    assert fetched.form["scope"] == "https://api.botframework.com/.default"
    assert len({r.token for r in teams.connector.requests()}) == 1
