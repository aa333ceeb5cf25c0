"""Information governance (../shared/GOVERNANCE.md): the register, who may see what for which
purpose, and the audit log."""
