"""The allowed values of status-like text columns (ERRATA: text columns with CHECK constraints).

The document's comments name most of them; the rest are the obvious ones a dashboard needs. The
migrations, the demo generator and the UI all read them from here.
"""

APPOINTMENT_STATUSES = ("pending", "confirmed", "cancelled", "completed", "no_show")
APPOINTMENT_TYPES = ("consultation", "follow_up", "check_up", "procedure", "emergency")
CONSULTATION_TYPES = ("in_person", "virtual")
SESSION_TYPES = ("video", "audio", "text")
SESSION_STATUSES = ("scheduled", "in_progress", "completed", "cancelled")
PAYMENT_STATUSES = ("pending", "paid", "failed", "refunded")
ROOM_STATUSES = ("waiting", "active", "completed")
CONVERSATION_TYPES = ("ai_diagnosis", "physician_consultation", "agent_support")
CONVERSATION_STATUSES = ("active", "closed", "archived")
SENDER_TYPES = ("patient", "physician", "ai_bot", "agent")
MESSAGE_TYPES = ("text", "image", "file")
EMERGENCY_STATUSES = ("pending", "dispatched", "in_progress", "resolved", "cancelled")
SEVERITIES = ("low", "medium", "high", "critical")
AMBULANCE_STATUSES = ("pending", "dispatched", "en_route", "arrived", "completed", "cancelled")
TRANSACTION_TYPES = ("credit", "debit")
PRESCRIPTION_STATUSES = ("active", "completed", "discontinued", "cancelled")
AGENT_ASSIGNMENT_STATUSES = ("active", "completed", "cancelled")
ASSISTANCE_STATUSES = ("active", "inactive", "completed")
RESOURCE_STATUSES = ("available", "limited", "unavailable", "maintenance")
RESOURCE_CATEGORIES = ("beds", "equipment", "medication", "staff", "supplies", "blood", "oxygen", "ambulances")
# resource_stock_movements.kind (migration 0018): recorded use, a delivery, or a count changed on the Resources page.
STOCK_MOVEMENT_KINDS = ("usage", "delivery", "count")
ADMISSION_STATUSES = ("active", "admitted", "discharged", "transferred")
WAITLIST_PRIORITIES = ("low", "medium", "high", "urgent")
WAITLIST_STATUSES = ("waiting", "called", "in_progress", "completed", "cancelled", "no_show")
FINANCE_TRANSACTION_TYPES = ("revenue", "expense")
COMPLIANCE_STATUSES = ("compliant", "non_compliant", "partially_compliant", "under_review")
VERIFICATION_STATUSES = ("pending", "verified", "rejected")
HOSPITAL_VERIFICATION_STATUSES = ("pending", "verified", "rejected", "suspended")
NOTIFICATION_TYPES = ("info", "success", "warning", "error", "reminder")
IMPACT_LEVELS = ("low", "medium", "high", "critical")
GENDERS = ("male", "female", "other")
# hospitals.facility_type (migration 0026): the kind of facility, so a hospital is compared with hospitals like it.
FACILITY_TYPES = ("teaching", "federal_medical_centre", "general", "specialist", "private_clinic")
