"""Settings of the test servers (``fangkong.testing.server.running_server``): the platform's own settings with
the cheap password hasher the in-process tests use (``fangkong/conftest.py``, ``_cheap_password_hashing``).

A live-server session hashes or checks a password some sixty times — the demo's users, ``fangkong createuser``,
every sign-in of the browser tests and the fuzzer — at about 0.3 s of CPU each with the production hasher
(PBKDF2, 1.5 million iterations), on a path that mostly runs one thing at a time. No test is about the
strength of the hash: a password is still hashed, checked, and refused when wrong. The production hasher
stays listed, so a password hashed by ``fangkong.settings`` is still checked.
"""

from django.conf import global_settings

from fangkong.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings.PASSWORD_HASHERS]
