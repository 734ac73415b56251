"""The deterministic demo network: Nigerian hospitals, their staff, patients and a year of activity.

    from db.demo import build_demo, demo_logins, has_demo_data
    report = build_demo(engine, scale=1, seed=2026, as_of=date(2026, 3, 15))
    print(report.summary())

The same (scale, seed, as_of) always writes the same rows. See docs/demo-data.md.
"""

from db.demo.build import DemoDataPresent, DemoTablesBusy, build_demo, has_demo_data
from db.demo.logins import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, DemoLogin, demo_logins
from db.demo.plan import DemoPlan, plan_for
from db.demo.report import DemoReport

__all__ = [
    "DEMO_EMAIL_DOMAIN",
    "DEMO_PASSWORD",
    "DemoDataPresent",
    "DemoLogin",
    "DemoPlan",
    "DemoReport",
    "DemoTablesBusy",
    "build_demo",
    "demo_logins",
    "has_demo_data",
    "plan_for",
]
