"""fangkong.epi — the analytics core: pure numpy/scipy, no Django.

Arrays and dataclasses in, arrays and dataclasses out. Modules: ``series`` (surveillance series),
``detection`` (aberration detection), ``rt`` (reproduction number), ``projection`` (renewal-equation
projection and resource demand), ``chains`` (transmission chains), ``simulate`` (synthetic province
outbreak scenarios). An import-linter contract forbids any import of Django or of the apps here.
"""

__version__ = "0.1.0"
