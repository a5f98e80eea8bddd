"""fangkong (防控): a command platform for infectious-disease prevention and control.

The Django project lives in the sub-packages (settings, apps, API); the analytics core is
``fangkong.epi``, a pure numpy/scipy library that never imports Django.
"""

__version__ = "0.1.0"
