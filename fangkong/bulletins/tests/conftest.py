"""The report is drawn from the dashboard's figures: the same reduced demo wave and the same fresh cache."""

from fangkong.dashboard.tests.conftest import demo_wave, fresh_cache  # noqa: F401 (fixtures)
