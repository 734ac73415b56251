"""The page kit: each module one concern, each owning the session-state keys it creates.

header (title, purpose, scope, freshness) · filters (the app-wide date range and scope, in the URL)
· kpi (cards with deltas and threshold status) · charts (one Plotly template and palette) · listing
(a scoped, searchable, SQL-paginated table with its audited export) · export (CSV and Excel) ·
alerts (threshold breaches that raise and clear without flapping).
"""
