"""The fangkong console script: help, createuser, demo."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fangkong.accounts.models import Membership, User
from fangkong.cli import main


def test_help_lists_the_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "migrate", "createuser", "simulate"):
        assert command in out


def test_createuser_creates_a_member(db):
    call_command("create_user", "lab1", region="440300", role="laboratory", password="a-long-passphrase-1")
    user = User.objects.get(username="lab1")
    assert user.check_password("a-long-passphrase-1")
    assert list(Membership.objects.filter(user=user).values_list("region_id", "role")) == [("440300", "laboratory")]


def test_createuser_refuses_unknown_region_and_changes_nothing(db):
    with pytest.raises(CommandError, match="unknown region"):
        call_command("create_user", "lab2", region="999900", role="laboratory", password="a-long-passphrase-1")
    assert not User.objects.filter(username="lab2").exists()


@pytest.mark.walk
def test_demo_creates_users_and_persons_and_is_idempotent(db, capsys):
    """One full demo load (then a second one: nothing doubles). Kept to one test: a load takes ~40 s."""
    from fangkong.accounts.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS
    from fangkong.accounts.roles import Role
    from fangkong.demo import demo_scenario
    from fangkong.persons import protection
    from fangkong.persons.demo import synthetic_identities
    from fangkong.persons.models import Person

    call_command("load_demo")
    persons_after_first = Person.objects.count()
    call_command("load_demo")
    out = capsys.readouterr().out
    assert Person.objects.count() == persons_after_first
    assert DEMO_PASSWORD in out
    assert {role for _, role, _, _ in DEMO_USERS} == set(Role.values)
    for username, role, region, _ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD) and username in out
        assert list(user.memberships.values_list("region_id", "role")) == [(region, role)]

    scenario, tree = demo_scenario()
    regions = [str(tree.codes[r]) for r in scenario.cases.region]
    identities = synthetic_identities(regions, seed=20220317, as_of=scenario.dates[-1])
    registered = dict(Person.objects.values_list("citizen_id_hash", "address_region_id"))
    for identity in identities:  # every case of the scenario has its person, in its region
        key = protection.identifier_hash(identity["citizen_id"], "citizen_id")
        assert registered[key] == identity["address_region"]
    assert sum(r.startswith("4403") for r in regions) == max(
        sum(r.startswith(p) for r in regions) for p in {r[:4] for r in regions})  # Shenzhen leads
