"""Where a message goes: a platform, its workspace or tenant, a conversation, and the platform's own reference."""
from __future__ import annotations

from dataclasses import dataclass, field

# A conversation id as platforms make them: Slack's are a dozen characters, Teams' run to a few hundred.
CONVERSATION_ID_LENGTH = 400
WORKSPACE_LENGTH = 64
PLATFORM_LENGTH = 16
MESSAGE_REF_LENGTH = 400


@dataclass(frozen=True)
class Address:
    """One conversation on one platform.

    `workspace` is the Slack workspace or Teams tenant ("" where one deployment has one). `reference` is
    what the platform needs to post there beyond the id (Teams' service URL and bot id, say): opaque JSON,
    stored and handed back to the adapter, never read elsewhere. Two addresses are the same conversation
    when platform, workspace and conversation agree, whatever their references say.
    """

    platform: str
    conversation: str
    workspace: str = ""
    reference: dict = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        """For logs: platform, then workspace and conversation."""
        return ":".join(part for part in (self.platform, self.workspace, self.conversation) if part)


# --- a table's address columns (platform, workspace, conversation_id, reference), for every store ----------

def where_at(row_class, address: Address) -> list:
    """The conditions that pick `address`'s rows of a table with address columns."""
    return [row_class.platform == address.platform, row_class.workspace == address.workspace,
            row_class.conversation_id == address.conversation]


def address_of(row) -> Address:
    """The address a row with address columns names, its reference filled in."""
    return Address(row.platform, row.conversation_id, row.workspace, dict(row.reference or {}))


def address_columns(address: Address) -> dict:
    """The address columns' values for `address` (no reference stored as NULL)."""
    return dict(platform=address.platform, workspace=address.workspace, conversation_id=address.conversation,
                reference=address.reference or None)
