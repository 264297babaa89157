"""tests/security: a package, so its conftest never shadows tests/e2e/conftest.py (imported by name there)."""
