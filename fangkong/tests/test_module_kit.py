"""The module kit (``fangkong.modules``): a module made from the template is found everywhere it must be.

The test makes a throwaway module ``kitdemo`` from ``docs/module-template`` in a temporary folder, adds one
line to ``INSTALLED_APPS`` (a settings module that extends the real one) and makes its migration; then,
in a fresh process with those settings, it checks that the platform discovered every declaration
(navigation, capability and roles, URLs, demo loader, scope-test records and tables) and runs the real
scope test, the role test and the module's own tests over it. Nothing outside the temporary folder is
written: adding a module touches ``INSTALLED_APPS`` and, for its strings, the two catalogues.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "docs" / "module-template"

DISCOVERY_CHECK = textwrap.dedent('''
    import django
    django.setup()
    from django.urls import reverse
    from fangkong import modules
    from fangkong.web.modules import nav_modules
    assert "kitdemo" in [m.label for m in modules.installed_modules()]
    assert any(e.slug == "kitdemo" and e.url_name == "kitdemo:entry-list" for e in nav_modules())
    assert "kitdemo.write" in modules.role_capabilities()["local_commander"]
    assert "kitdemo.write" not in modules.role_capabilities().get("analyst", ())
    assert reverse("kitdemo:entry-list") == "/kitdemo/"
    assert reverse("kitdemo-api:entry-list") == "/api/v1/kitdemo-entries/"
    assert "kitdemo.Entry" in [m._meta.label for m in modules.scoped_models()]
    assert any(f.__module__ == "kitdemo.tests.scope" for f in modules.scope_record_makers())
    loaders = [f.__module__ for f in modules.demo_loaders()]
    assert "kitdemo.demo" in loaders  # at the place its demo_order gives it, after every module of a lower order
    lower = [m.demo_loader.rpartition(".")[0] for m in modules.installed_modules() if m.demo_loader and m.demo_order < 50]
    assert set(lower) <= set(loaders[:loaders.index("kitdemo.demo")])
    print("discovered")
''')


def _run(args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture
def kitdemo(tmp_path) -> tuple[Path, dict]:
    """The throwaway module, made from the template, and the environment that installs it."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "FANGKONG_TEST_DB"}}
    env.update(PYTHONPATH=str(tmp_path), FANGKONG_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="kit_settings")
    (tmp_path / "var").mkdir()
    (tmp_path / "kit_settings.py").write_text(
        "from fangkong.settings import *  # noqa: F403\n\n"
        'INSTALLED_APPS = [*INSTALLED_APPS, "kitdemo"]  # noqa: F405  (the one line a new module adds)\n')
    (tmp_path / "kitdemo").mkdir()
    plain = {**env, "PYTHONPATH": "", "DJANGO_SETTINGS_MODULE": "fangkong.settings"}  # startapp refuses a name found
    _run([sys.executable, "-m", "django", "startapp", "--template", str(TEMPLATE), "kitdemo",
          str(tmp_path / "kitdemo")], plain, REPO)
    _run([sys.executable, "-m", "django", "makemigrations", "kitdemo", "-v", "0"], env, tmp_path)
    return tmp_path, env


@pytest.mark.walk
def test_a_module_from_the_template_is_discovered_and_covered_by_the_scope_and_role_tests(kitdemo):
    tmp_path, env = kitdemo
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kit_settings.py", "kitdemo", "var"]
    assert "discovered" in _run([sys.executable, "-c", DISCOVERY_CHECK], env, tmp_path).stdout
    (tmp_path / "conftest.py").write_text("from fangkong.conftest import *  # noqa: F403\n")
    # the scope walk over the new module's URLs (with every module's records in the database): the platform's
    # own run of the same test walks the rest
    result = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ds", "kit_settings",
                   "--rootdir", str(REPO), "-c", str(REPO / "pyproject.toml"),
                   str(REPO / "fangkong/api/tests/test_scope_everywhere.py"),
                   str(REPO / "fangkong/accounts/tests/test_roles.py"),
                   str(tmp_path / "kitdemo" / "tests")], {**env, "FANGKONG_WALK_ONLY": "kitdemo"}, REPO)
    assert " passed" in result.stdout and "failed" not in result.stdout and "error" not in result.stdout


# --- declarations the platform's own tests read (served reaches, paths set apart) ------------------------


def test_a_reach_a_module_serves_is_live_and_pending_without_its_declaration(monkeypatch):
    """``ModuleConfig.served_reaches``: the resources module's declaration makes the manager's assigned sites
    a reach that answers; the same platform without the declaration holds the manager to no person."""
    from django.apps import apps

    from fangkong import modules
    from fangkong.accounts.need_to_know import Category, Reach, pending_reaches, role_reach
    from fangkong.accounts.roles import Role

    assert Reach.ASSIGNED_SITES in modules.served_reaches()
    assert role_reach(Role.QUARANTINE_MANAGER, Category.NAMED) == Reach.ASSIGNED_SITES
    monkeypatch.setattr(type(apps.get_app_config("resources")), "served_reaches", ())
    modules.served_reaches.cache_clear()
    try:
        assert Reach.ASSIGNED_SITES in pending_reaches()
        assert role_reach(Role.QUARANTINE_MANAGER, Category.NAMED) is None
    finally:
        monkeypatch.undo()
        modules.served_reaches.cache_clear()
    assert role_reach(Role.QUARANTINE_MANAGER, Category.NAMED) == Reach.ASSIGNED_SITES


def test_what_a_module_writes_outside_the_database_is_set_apart_in_a_test_of_any_package(tmp_path_factory):
    """``ModuleConfig.isolated_paths``: in a test of this package (not the module's own), every declared
    variable names a place in this run's temporary folder, and the public module writes there, not in var/."""
    from django.conf import settings

    from fangkong import modules
    from fangkong.public import conf

    declared = dict(modules.isolated_paths())
    assert {"FANGKONG_PUBLIC_SITE_DIR", "FANGKONG_PUBLIC_SNAPSHOT_DIR", "FANGKONG_PUBLIC_SIGNING_KEY"} <= set(declared)
    temporary = tmp_path_factory.getbasetemp()
    for name, relative in declared.items():
        path = Path(os.environ[name])
        assert temporary in path.parents and path.as_posix().endswith(relative), name
    for path in (conf.site_dir(), conf.snapshot_dir(), conf.signing_key_path()):
        assert temporary in path.parents and Path(settings.VAR_DIR) not in path.parents, path
