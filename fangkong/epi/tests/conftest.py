"""pytest set-up of the library's own tests, enough to run them where only fangkong-epi is installed.

The project's ``pyproject.toml`` declares the markers and warning filters for the whole suite; a
standalone install (``pip install 'fangkong-epi[test]'`` then ``pytest --pyargs fangkong.epi.tests``)
has no such file, so the ones these tests rely on are declared here too.
"""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: statistically heavy test")
    # A RuntimeWarning from the library (0/0, overflow, mean of an empty slice) is a bug in the tests' eyes.
    config.addinivalue_line("filterwarnings", "error::RuntimeWarning:fangkong.*")
