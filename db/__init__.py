"""Data layer: typed models, engine and sessions, embedded PostgreSQL, seed and demo data.

Nothing here imports streamlit: the services and the CLI use it too.
"""
