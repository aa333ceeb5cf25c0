"""The analytics warehouse: one DuckDB file holding no identifiers (see docs/architecture.md)."""
