"""The fake Slack Web API as a process of its own, as Slack is: `python -m bench.fake_slack_server`.

Prints its API base URL on the first line of stdout and serves until stdin closes, so the process being
measured does not also pay for Slack's side of every request.
"""
from __future__ import annotations

import sys

from tests.fake_slack import FakeSlack


def main() -> None:
    with FakeSlack() as fake:
        print(fake.api_url, flush=True)
        sys.stdin.read()   # returns when the parent closes our stdin or exits


if __name__ == "__main__":
    main()
