"""Information governance (../shared/GOVERNANCE.md), the one gate every output passes: disclosure
control (`disclosure.py`), the objection filters (`objections.py`), the register, who may see what for which
purpose, and the audit log."""
