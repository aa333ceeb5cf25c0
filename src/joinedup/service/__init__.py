"""The web service (`joinedup serve`): tiers A and P of GOVERNANCE.md behind accounts, sessions
and the audit log. Its own store S (accounts, sessions, saved views) is a SQLite file apart from
the warehouse and the vault."""
