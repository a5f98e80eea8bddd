"""Shared test support: builders for users, persons and valid citizen IDs (used by every app's tests)."""
