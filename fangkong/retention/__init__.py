"""The retention module (made from docs/module-template; see docs/adding-a-module.md)."""
