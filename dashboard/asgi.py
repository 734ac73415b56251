"""The dashboard as an ASGI application: Streamlit's `st.App` with our route and middleware.

`healthdash run` serves this file (`streamlit run dashboard/asgi.py` finds `app` and runs it with
uvicorn); each browser session still runs dashboard/app.py. What this adds is in
dashboard/web_security.py: the HttpOnly session cookie route, security headers and the WebSocket
Origin check.
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from dashboard.web_security import COOKIE_ROUTE, SameOriginWebSocket, SecurityHeaders, cookie_exchange

ENTRY = Path(__file__).resolve().parent / "app.py"

app = st.App(
    ENTRY,
    routes=[Route(COOKIE_ROUTE, cookie_exchange, methods=["POST"])],
    middleware=[Middleware(SecurityHeaders), Middleware(SameOriginWebSocket)],
)
