"""Slack's words stay in the Slack adapter: no module of answers/, commands/, digests/, storage/ or bot/ (outside
bot/slack/) writes Slack markup, names a Slack error code or API, builds Block Kit, or decides by Slack's id
prefixes. Mentions are tokens (answers/mentions.py), delivery errors neutral (answers/platform.py), Slack's id
shapes live in bot/slack/ids.py. Each finding names the file, the line and the rule it breaks."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("answers", "commands", "digests", "storage", "bot")
ADAPTER = Path("bot") / "slack"
# The schema's history names the columns it had: a migration renames Slack's message_ts, so it says it.
HISTORY = Path("storage") / "migrations" / "versions"

SLACK_ERROR_CODES = (
    "not_in_channel", "channel_not_found", "is_archived", "ratelimited", "invalid_auth", "missing_scope",
    "not_authed", "account_inactive", "token_revoked", "token_expired", "restricted_action", "msg_too_long",
    "user_not_found", "cant_invite_self", "already_in_channel", "invalid_blocks", "team_access_not_granted",
    "not_allowed_token_type", "ekm_access_denied",
)
BLOCK_KIT = ("HeaderBlock", "SectionBlock", "ContextBlock", "ActionsBlock", "DividerBlock", "ImageBlock", "InputBlock",
             "MarkdownTextObject", "PlainTextObject", "ButtonElement")
RULES = {
    # <#C0123>, <@U0123>, <!here>; not XML's <!DOCTYPE or <!ENTITY (which the workbook checks look for)
    "Slack markup": re.compile(r"<#|<@|<!(?![A-Z(\[-])"),
    "Slack error code": re.compile(r"\b(" + "|".join(SLACK_ERROR_CODES) + r")\b"),
    "Slack's install hint": re.compile(r"/invite\b"),
    "Slack's SDK": re.compile(r"\bslack_(sdk|bolt)\b"),
    "Block Kit": re.compile(r"\bmrkdwn\b|\b(" + "|".join(BLOCK_KIT) + r")\b|[\"']plain_text[\"']"),
    "Slack's API": re.compile(r"\b(chat[._]postMessage|chat[._]postEphemeral|files[._]upload(_v2)?|conversations[._]info|"
                              r"response_type|response_url|unfurl_links)\b|[\"'](ephemeral|in_channel)[\"']"),
    "Slack's message timestamp": re.compile(r"\b(message_ts|thread_ts)\b"),
    # [CGD][A-Z0-9]+, [UW]..., startswith("D"), id[0] in "UW", _id_list(value, "CGD", ...)
    "Slack id prefix": re.compile(r"\[[CDGUWS]{2,3}\]|startswith\(\(?\s*[\"'][CDGUWS][\"']|"
                                  r"\[0\]\s*(==|!=|in|not in)\s*[\"'][CDGUWS]{1,3}[\"']|[\"'](CGD|UW|CG|GD|CD)[\"']"),
}
EXEMPT = {"Slack's message timestamp": (HISTORY,)}


def findings(relative: Path, text: str) -> list[str]:
    """`file:line: rule: the line` for each line of `text` that uses one of Slack's words."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for rule, pattern in RULES.items():
            if any(relative.is_relative_to(place) for place in EXEMPT.get(rule, ())):
                continue
            if pattern.search(line):
                found.append(f"{relative}:{number}: {rule}: {line.strip()}")
    return found


def scanned_modules(root: Path = ROOT) -> list[Path]:
    """Every module outside the Slack adapter, relative to the project."""
    return sorted(path.relative_to(root) for top in SCANNED for path in (root / top).rglob("*.py")
                  if not path.relative_to(root).is_relative_to(ADAPTER))


def test_no_slack_words_outside_the_slack_adapter():
    modules = scanned_modules()
    assert Path("answers/mentions.py") in modules and Path("bot/render_text.py") in modules
    assert not any(m.is_relative_to(ADAPTER) for m in modules)
    found = [f for module in modules for f in findings(module, (ROOT / module).read_text(encoding="utf-8"))]
    assert found == [], "Slack's words outside bot/slack/:\n" + "\n".join(found)


def test_the_scanner_finds_each_kind_of_slack_word():
    planted = {
        'CANNOT_POST = "I can\'t post in <#{channel}> ({reason})."': "Slack markup",
        'f"(asked for by <@{user_id}>)"': "Slack markup",
        'NOTIFY = "<!here> the digest is late"': "Slack markup",
        'if error == "not_in_channel":': "Slack error code",
        'HINTS = {"channel_not_found": "gone", "is_archived": "gone"}': "Slack error code",
        'INVITE = "invite me with /invite @kpibot"': "Slack's install hint",
        "from slack_sdk.models.blocks import HeaderBlock": "Slack's SDK",
        'blocks = [SectionBlock(text=MarkdownTextObject(text=t))]': "Block Kit",
        '{"type": "mrkdwn", "text": t}': "Block Kit",
        'message.pop("response_type", None)': "Slack's API",
        'outcome.message_ts = posted["ts"]': "Slack's message timestamp",
        '_CHANNEL_RE = re.compile(r"^(?P<bare>[CGD][A-Z0-9]{6,})$")': "Slack id prefix",
        'if not channel_id.startswith("D"):': "Slack id prefix",
        'bad = [i for i in ids if i[0] not in "UW"]': "Slack id prefix",
        'return _id_list(value, "CGD", "a Slack channel ID")': "Slack id prefix",
    }
    for line, rule in planted.items():
        assert any(f.split(": ")[1] == rule for f in findings(Path("commands/planted.py"), line)), line
    assert findings(Path("digests/delivery.py"), "\n\nTOLD = 'The digest for <#{channel}> failed'") == [
        "digests/delivery.py:3: Slack markup: TOLD = 'The digest for <#{channel}> failed'"]


def test_the_scanner_leaves_neutral_words_alone():
    neutral = [
        'raise refusal(name, "declares a document type (<!DOCTYPE)")',
        '_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)")',
        "files_in_channels: bool = False",
        "for block in document.blocks:",
        "blocks.append(TableBlock(columns, rows))",
        'description="User IDs on the chat platform (Slack: U012AB3CD)"',
        'return f"#{conversation_id}"',
        "plain_text = render_text(response)",
        "if text.startswith(('/', 'kpi')):",
        "# It can answer one person privately inside a shared conversation (Slack's ephemeral messages).",
    ]
    assert [f for line in neutral for f in findings(Path("answers/x.py"), line)] == []
    # the schema's history may name the column it renamed; nothing else may
    migration = "batch_op.alter_column('message_ts', new_column_name='message_ref')"
    assert findings(HISTORY / "0008_neutral_addresses.py", migration) == []
    assert findings(Path("storage/models.py"), migration) != []
