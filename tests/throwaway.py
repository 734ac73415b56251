"""The tests' throwaway databases live in db.scratch (the benchmark uses them too)."""

from db.scratch import create_database, drop_database, server_admin_url

__all__ = ["create_database", "drop_database", "server_admin_url"]
