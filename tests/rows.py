"""Valid rows for every table, written with plain SQL, creating the parents each one needs.

The constraint tests start from one of these and break one thing at a time.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_counter = itertools.count(1)
_NOW = "2026-11-01T12:00:00Z"  # a fixed moment for the partition keys of analytics_data and audit_logs


def _uid(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def baseline(session: Session, table: str) -> dict[str, Any]:
    """Column values for a valid row of `table` (not inserted); parents are inserted as needed."""
    make = BUILDERS[table]
    return make(session)


def insert(session: Session, table: str, values: dict[str, Any]) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{c}" for c in values)
    session.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def create(session: Session, table: str, **overrides: Any) -> dict[str, Any]:
    values = {**baseline(session, table), **overrides}
    insert(session, table, values)
    return values


def _user(s):
    return {"id": _uid("user"), "email": f"{_uid('u')}@example.ng", "password": "x"}


def _profile(s, role="PATIENT", hospital_id=None):
    user = create(s, "users")
    row = {"id": _uid("profile"), "user_id": user["id"], "role": role}
    if hospital_id:
        row["hospital_id"] = hospital_id
    return row


def _hospital(s):
    return {"id": _uid("hospital"), "name": "Test Hospital", "latitude": 6.5, "longitude": 3.4}


def _appointment(s):
    return {
        "id": _uid("appt"),
        "patient_id": create(s, "users")["id"],
        "physician_id": create(s, "profiles", role="PHYSICIAN")["id"],
        "hospital_id": create(s, "hospitals")["id"],
        "appointment_date": "2026-11-26T09:00:00+01:00",
        "appointment_time": "10:00",
    }


def _session(s):
    appt = create(s, "appointments")
    return {
        "id": _uid("session"),
        "appointment_id": appt["id"],
        "patient_id": appt["patient_id"],
        "physician_id": appt["physician_id"],
    }


def _room(s):
    return {"id": _uid("room"), "session_id": create(s, "consultation_sessions")["id"], "room_token": _uid("tok")}


def _conversation(s):
    return {"id": _uid("conv"), "patient_id": create(s, "users")["id"]}


def _message(s):
    return {
        "id": _uid("msg"),
        "conversation_id": create(s, "conversations")["id"],
        "sender_type": "patient",
        "content": "Hello",
    }


def _emergency(s):
    return {"id": _uid("em"), "patient_id": create(s, "users")["id"], "emergency_type": "accident"}


def _ambulance(s):
    return {
        "id": _uid("amb"),
        "patient_id": create(s, "users")["id"],
        "emergency_type": "accident",
        "pickup_address": "1 Marina, Lagos",
        "contact_phone": "+2348000000000",
    }


def _wallet(s):
    return {"id": _uid("wallet"), "user_id": create(s, "users")["id"], "balance": 100}


def _wallet_tx(s):
    return {
        "id": _uid("wtx"),
        "wallet_id": create(s, "wallets")["id"],
        "transaction_type": "credit",
        "amount": 100,
        "balance_after": 100,
    }


def _health_record(s):
    return {"id": _uid("hr"), "patient_id": create(s, "users")["id"], "record_type": "lab", "title": "FBC"}


def _prescription(s):
    return {
        "id": _uid("rx"),
        "patient_id": create(s, "users")["id"],
        "physician_id": create(s, "profiles", role="PHYSICIAN")["id"],
        "medication_name": "Amoxicillin",
        "dosage": "500 mg",
        "frequency": "3x daily",
        "duration": "7 days",
    }


def _emergency_contact(s):
    return {
        "id": _uid("ec"),
        "patient_id": create(s, "profiles")["id"],
        "name": "Ada",
        "relationship": "sister",
        "phone": "+2348000000001",
    }


def _agent_assignment(s):
    return {
        "id": _uid("aa"),
        "patient_id": create(s, "users")["id"],
        "agent_id": create(s, "profiles", role="AGENT")["id"],
    }


def _assisted(s):
    return {
        "id": _uid("aap"),
        "patient_id": create(s, "users")["id"],
        "agent_id": create(s, "profiles", role="AGENT")["id"],
        "assistance_type": "booking",
    }


def _resource(s):
    return {
        "id": _uid("res"),
        "hospital_id": create(s, "hospitals")["id"],
        "name": "ICU beds",
        "category": "beds",
        "total_quantity": 10,
        "available_quantity": 6,
        "in_use_quantity": 3,
        "maintenance_quantity": 1,
    }


def _hospital_patient(s):
    return {"id": _uid("hp"), "hospital_id": create(s, "hospitals")["id"], "patient_id": create(s, "users")["id"]}


def _waitlist(s):
    return {
        "id": _uid("wl"),
        "hospital_id": create(s, "hospitals")["id"],
        "patient_id": create(s, "users")["id"],
        "department": "Cardiology",
        "reason": "Chest pain",
    }


def _finance(s):
    return {
        "id": _uid("fin"),
        "hospital_id": create(s, "hospitals")["id"],
        "transaction_type": "revenue",
        "category": "consultations",
        "amount": 1000,
        "fiscal_month": "2026-11",
    }


def _compliance(s):
    return {"id": _uid("cmp"), "hospital_id": create(s, "hospitals")["id"], "compliance_type": "fire_safety"}


def _analytics(s):
    # The partition key is part of the primary key (migration 0010): given, so a duplicate can copy it.
    return {"id": _uid("an"), "metric_name": "daily_appointments", "metric_value": 12, "metric_date": _NOW}


def _document(s):
    return {
        "id": _uid("doc"),
        "user_id": create(s, "users")["id"],
        "document_name": "Licence",
        "document_type": "license",
        "document_url": "https://files.example.ng/licence.pdf",
    }


def _notification(s):
    return {"id": _uid("note"), "user_id": create(s, "users")["id"], "title": "Hi", "message": "Welcome"}


def _audit(s):
    return {"id": _uid("audit"), "user_id": "someone", "created_at": _NOW}


BUILDERS = {
    "users": _user,
    "profiles": _profile,
    "hospitals": _hospital,
    "appointments": _appointment,
    "consultation_sessions": _session,
    "consultation_rooms": _room,
    "conversations": _conversation,
    "messages": _message,
    "emergency_requests": _emergency,
    "ambulance_requests": _ambulance,
    "wallets": _wallet,
    "wallet_transactions": _wallet_tx,
    "health_records": _health_record,
    "prescriptions": _prescription,
    "emergency_contacts": _emergency_contact,
    "agent_assignments": _agent_assignment,
    "agent_assisted_patients": _assisted,
    "hospital_resources": _resource,
    "hospital_patients": _hospital_patient,
    "patient_waitlist": _waitlist,
    "hospital_financial_data": _finance,
    "hospital_compliance_tracking": _compliance,
    "analytics_data": _analytics,
    "documents": _document,
    "notifications": _notification,
    "audit_logs": _audit,
}
