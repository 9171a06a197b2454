"""The access rules (answers/access.py) as one table: every kind of person, in every kind of place, asking for
every role with and without case details. Each cell is written out by hand from DESIGN.md's "What is sensitive",
so a privilege mistake in the code (a group check that lets anyone in, a direct-message rule that forgets the
role, a role order that puts editors above admins) changes some cell and fails here."""
from __future__ import annotations

import pytest

from answers.access import AccessPolicy, Identity, Place
from answers.mentions import conversation

# The allowed channels as an answer names them: mention tokens, which each platform's renderer writes out.
PANEL, REVIEWS = conversation("C_PANEL"), conversation("C_REVIEWS")
POLICY = AccessPolicy(
    editor_users=frozenset({"U_EDITOR"}), admin_users=frozenset({"U_ADMIN"}),
    editor_groups=frozenset({"S_ANALYSTS"}), admin_groups=frozenset({"S_LEADS"}),
    sensitive_channels=frozenset({"C_REVIEWS", "C_PANEL"}),
)

PEOPLE = {
    "no role": Identity("U_ANYONE"),
    "editor by user": Identity("U_EDITOR"),
    "editor by group": Identity("U_ANALYST", groups=frozenset({"S_ANALYSTS"})),
    "admin by user": Identity("U_ADMIN"),
    "admin by group": Identity("U_LEAD", groups=frozenset({"S_LEADS"})),
    "other group": Identity("U_CLERK", groups=frozenset({"S_CLERKS"})),
    # a guest is refused even when the settings name them as an admin
    "guest": Identity("U_ADMIN", is_guest=True),
    "console": Identity("console"),
}

PLACES = {
    "allowed": Place("C_REVIEWS"),
    "other channel": Place("C_GENERAL"),
    # the platform says this is the bot's own direct message with the person asking
    "bot's DM": Place("D_ASKER", direct_with_bot=True),
    # a direct message between other people: a D id, but not the bot's conversation with the asker
    "others' DM": Place("D_OTHERS"),
    # a channel whose id merely contains a D
    "CD channel": Place("CD_TEAM"),
}

# The answer each cell must get:  ok = answered;  guest = guests refused;  editor / admin = that role is needed;
# place = case details are kept to the allowed channels and the bot's own DM with an editor or admin.
ANSWERS = {
    "guest": ("Sorry, kpibot is not available to guest accounts.",
              "Ask a member of the performance team for the figures you need."),
    "editor": ("That needs the editor role, which you don't have.",
               "Ask a kpibot admin to add you (KPIBOT_EDITOR_USER_IDS)."),
    "admin": ("That needs the admin role, which you don't have.",
              "Ask a kpibot admin to add you (KPIBOT_ADMIN_USER_IDS)."),
    "place": ("I don't answer that here: it is kept to the channels allowed to see review cases and Panel papers.",
              f"Ask in {PANEL}, {REVIEWS}, or in a direct message with me if you are an editor or admin."),
    "ok": None,
}

# Columns: the role the request needs, without case details (figures) and with them (cases).
TABLE = """
person           place          viewer:figures  viewer:cases  editor:figures  editor:cases  admin:figures  admin:cases
no role          allowed        ok              ok            editor          editor        admin          admin
no role          other channel  ok              place         editor          editor        admin          admin
no role          bot's DM       ok              place         editor          editor        admin          admin
no role          others' DM     ok              place         editor          editor        admin          admin
no role          CD channel     ok              place         editor          editor        admin          admin
editor by user   allowed        ok              ok            ok              ok            admin          admin
editor by user   other channel  ok              place         ok              place         admin          admin
editor by user   bot's DM       ok              ok            ok              ok            admin          admin
editor by user   others' DM     ok              place         ok              place         admin          admin
editor by user   CD channel     ok              place         ok              place         admin          admin
editor by group  allowed        ok              ok            ok              ok            admin          admin
editor by group  other channel  ok              place         ok              place         admin          admin
editor by group  bot's DM       ok              ok            ok              ok            admin          admin
editor by group  others' DM     ok              place         ok              place         admin          admin
editor by group  CD channel     ok              place         ok              place         admin          admin
admin by user    allowed        ok              ok            ok              ok            ok             ok
admin by user    other channel  ok              place         ok              place         ok             place
admin by user    bot's DM       ok              ok            ok              ok            ok             ok
admin by user    others' DM     ok              place         ok              place         ok             place
admin by user    CD channel     ok              place         ok              place         ok             place
admin by group   allowed        ok              ok            ok              ok            ok             ok
admin by group   other channel  ok              place         ok              place         ok             place
admin by group   bot's DM       ok              ok            ok              ok            ok             ok
admin by group   others' DM     ok              place         ok              place         ok             place
admin by group   CD channel     ok              place         ok              place         ok             place
other group      allowed        ok              ok            editor          editor        admin          admin
other group      other channel  ok              place         editor          editor        admin          admin
other group      bot's DM       ok              place         editor          editor        admin          admin
other group      others' DM     ok              place         editor          editor        admin          admin
other group      CD channel     ok              place         editor          editor        admin          admin
guest            allowed        guest           guest         guest           guest         guest          guest
guest            other channel  guest           guest         guest           guest         guest          guest
guest            bot's DM       guest           guest         guest           guest         guest          guest
guest            others' DM     guest           guest         guest           guest         guest          guest
guest            CD channel     guest           guest         guest           guest         guest          guest
console          allowed        ok              ok            ok              ok            ok             ok
console          other channel  ok              ok            ok              ok            ok             ok
console          bot's DM       ok              ok            ok              ok            ok             ok
console          others' DM     ok              ok            ok              ok            ok             ok
console          CD channel     ok              ok            ok              ok            ok             ok
"""

# Whether case details may be shown to this person here. Guests are refused before this is asked, and a guest
# asked about alone (even one the settings name as an admin) is told no everywhere.
CASES_TABLE = """
person           allowed  other channel  bot's DM  others' DM  CD channel
guest            no       no             no        no          no
no role          yes      no             no        no          no
editor by user   yes      no             yes       no          no
editor by group  yes      no             yes       no          no
admin by user    yes      no             yes       no          no
admin by group   yes      no             yes       no          no
other group      yes      no             no        no          no
console          yes      yes            yes       yes         yes
"""

ROLE_OF = {
    "no role": "viewer", "editor by user": "editor", "editor by group": "editor", "admin by user": "admin",
    "admin by group": "admin", "other group": "viewer", "console": "admin",
}


def _split(row: str) -> list[str]:
    """A table row's cells: columns are separated by two or more spaces, so names may hold one."""
    return [cell for cell in row.strip().split("  ") if cell.strip()]


def _cells(table: str) -> list[tuple[str, str, str, str]]:
    header, *rows = table.strip().splitlines()
    columns = [cell.strip() for cell in _split(header)][2:]
    cells = []
    for row in rows:
        person, place, *outcomes = [cell.strip() for cell in _split(row)]
        assert len(outcomes) == len(columns), row
        cells += [(person, place, column, outcome) for column, outcome in zip(columns, outcomes)]
    return cells


def _grid(table: str) -> list[tuple[str, str, str]]:
    header, *rows = table.strip().splitlines()
    places = [cell.strip() for cell in _split(header)][1:]
    cells = []
    for row in rows:
        person, *answers = [cell.strip() for cell in _split(row)]
        assert len(answers) == len(places), row
        cells += [(person, place, answer) for place, answer in zip(places, answers)]
    return cells


MATRIX = _cells(TABLE)
CASES = _grid(CASES_TABLE)


def test_the_table_covers_every_person_place_role_and_sensitivity_once():
    """A row lost or doubled while editing the table would quietly drop cells from the test."""
    keys = {(person, place, column) for person, place, column, _ in MATRIX}
    assert len(MATRIX) == len(keys) == 8 * 5 * 3 * 2
    assert {person for person, *_ in MATRIX} == set(PEOPLE)
    assert {place for _, place, *_ in MATRIX} == set(PLACES)
    assert {(person, place) for person, place, _ in CASES} == {(p, q) for p in [*ROLE_OF, "guest"] for q in PLACES}


@pytest.mark.parametrize("person, place, column, outcome", MATRIX,
                         ids=[f"{p}|{q}|{c}" for p, q, c, _ in MATRIX])
def test_refusal(person, place, column, outcome):
    needs, kind = column.split(":")
    refused = POLICY.refusal(PEOPLE[person], PLACES[place], needs, sensitive=kind == "cases")
    assert refused == ANSWERS[outcome]


@pytest.mark.parametrize("person, place, answer", CASES, ids=[f"{p}|{q}" for p, q, _ in CASES])
def test_may_see_cases(person, place, answer):
    assert POLICY.may_see_cases(PEOPLE[person], PLACES[place]) is (answer == "yes")


@pytest.mark.parametrize("person", sorted(ROLE_OF))
def test_role_of(person):
    assert POLICY.role_of(PEOPLE[person]) == ROLE_OF[person]


def test_the_other_allowed_channel_is_allowed_too():
    assert POLICY.refusal(PEOPLE["no role"], Place("C_PANEL"), "viewer", sensitive=True) is None
    assert POLICY.may_see_cases(PEOPLE["no role"], Place("C_PANEL")) is True


def test_a_person_in_both_an_editor_and_an_admin_group_is_an_admin():
    both = Identity("U_BOTH", groups=frozenset({"S_ANALYSTS", "S_LEADS", "S_CLERKS"}))
    assert POLICY.role_of(both) == "admin"
    assert POLICY.refusal(both, Place("C_GENERAL"), "admin", sensitive=False) is None


def test_an_editor_named_by_user_in_an_admin_group_is_an_admin():
    assert POLICY.role_of(Identity("U_EDITOR", groups=frozenset({"S_LEADS"}))) == "admin"


def test_groups_alone_give_no_role_when_no_group_has_one():
    """With roles given only by user id, being in some group is not a role."""
    by_user_only = AccessPolicy(editor_users=frozenset({"U_EDITOR"}), admin_users=frozenset({"U_ADMIN"}))
    clerk = Identity("U_CLERK", groups=frozenset({"S_CLERKS"}))
    assert by_user_only.role_of(clerk) == "viewer"
    assert by_user_only.role_of(Identity("U_EDITOR", groups=frozenset({"S_CLERKS"}))) == "editor"


def test_without_allowed_channels_case_details_stay_in_the_bots_dm():
    nowhere = AccessPolicy(editor_users=frozenset({"U_EDITOR"}))
    assert nowhere.refusal(Identity("U_EDITOR"), Place("D_ASKER", direct_with_bot=True), "viewer", True) is None
    assert nowhere.refusal(Identity("U_EDITOR"), Place("C_GENERAL"), "viewer", True) == (
        "I don't answer that here: it is kept to the channels allowed to see review cases and Panel papers.",
        "Ask in an allowed channel (none is set up yet: KPIBOT_SENSITIVE_CHANNEL_IDS), "
        "or in a direct message with me if you are an editor or admin.")


# A channel as such (where a digest is posted, whoever reads it) sees case details only if it is an allowed one:
# not the bot's DM, since a digest there has no asker whose role could be checked.
CHANNELS = {"C_REVIEWS": True, "C_PANEL": True, "C_GENERAL": False, "D_ASKER": False, "D_OTHERS": False,
            "CD_TEAM": False, "console": False}


@pytest.mark.parametrize("channel_id", sorted(CHANNELS))
def test_channel_sees_cases(channel_id):
    assert POLICY.channel_sees_cases(channel_id) is CHANNELS[channel_id]


def test_the_allowed_channels_are_named_in_order_or_how_to_set_them_up():
    assert POLICY.case_channels_text() == f"{PANEL}, {REVIEWS}"
    assert AccessPolicy().case_channels_text() == (
        "an allowed channel (none is set up yet: KPIBOT_SENSITIVE_CHANNEL_IDS)")
