"""App config of the person registry (its module declaration)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role


class PersonsConfig(modules.ModuleConfig):
    name = "fangkong.persons"
    label = "persons"
    verbose_name = "Person registry"

    navigation = (modules.NavEntry("persons", _("Person registry"), _("One protected record per person."),
                                   "web:person-list"),)
    capabilities = (
        modules.CapabilityGrant("person.register", _("Register persons"),
                                # quarantine-site managers and laboratories: once their modules assign
                                # persons to them (need to know, fangkong.accounts.need_to_know)
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.NAMED),
        modules.CapabilityGrant("person.reveal", _("See citizen IDs and phone numbers in clear"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.IDENTIFIERS),
        modules.CapabilityGrant("person.export_clear",
                                _("Export line lists with citizen IDs and phone numbers in clear"),
                                (Role.EPIDEMIOLOGIST,), category=Category.IDENTIFIERS),
    )
    demo_loader = "fangkong.persons.demo.demo_load"
    demo_order = 10
    scoped_tables = ("Person",)
    # the keyring of the persons' data keys (fangkong.persons.keyring): in tests, a fresh one per test
    isolated_paths = (("FANGKONG_PERSONS_KEYRING", "persons-keyring"),)
    scope_records = "fangkong.persons.tests.scope.other_city_records"
