"""Plain-Python services: scoped queries and commands. No streamlit here (tests/test_layers.py checks).

Every function takes a keyword-style `db` Session and the acting `Actor`; reads never commit, and a
command's caller owns the unit of work, so a write and its audit row commit together.
"""
