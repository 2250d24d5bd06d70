"""Shared foundation: configuration, storage, security, audit, jobs. Kept small on purpose."""
