"""All 26 models of the seed schema, importable from one place (and registered on Base.metadata)."""

from db.base import Base, UserRole
from db.models.auth import AuthSession, LoginThrottle
from db.models.beds import Bed
from db.models.budgets import HospitalBudget
from db.models.care import (
    Appointment,
    ConsultationRoom,
    ConsultationSession,
    Conversation,
    HealthRecord,
    Message,
    Prescription,
)
from db.models.checklists import ComplianceChecklistAnswer, ComplianceChecklistItem, ComplianceEvidence
from db.models.claims import Claim
from db.models.digests import DigestOutbox, DigestSubscription
from db.models.emergency import AmbulanceRequest, EmergencyRequest
from db.models.geography import NigerianLga
from db.models.governance import AnalyticsData, AuditLog, Document, HospitalComplianceTracking, Notification
from db.models.hospitals import Hospital, HospitalPatient, HospitalResource, PatientWaitlist
from db.models.licences import FacilityLicence, FacilityLicenceDocument, FacilityLicenceRenewal
from db.models.money import HospitalFinancialData, Wallet, WalletTransaction
from db.models.patient_numbers import PatientHospitalNumber, PatientNumberSeries
from db.models.people import AgentAssignment, AgentAssistedPatient, EmergencyContact, Profile, User
from db.models.physician_hours import PhysicianLeave, PhysicianSession
from db.models.screens import WardScreen
from db.models.supplies import ResourceStockMovement

__all__ = [
    "AgentAssignment",
    "AgentAssistedPatient",
    "AmbulanceRequest",
    "AnalyticsData",
    "Appointment",
    "AuditLog",
    "AuthSession",
    "Base",
    "Bed",
    "Claim",
    "ComplianceChecklistAnswer",
    "ComplianceChecklistItem",
    "ComplianceEvidence",
    "ConsultationRoom",
    "ConsultationSession",
    "Conversation",
    "DigestOutbox",
    "DigestSubscription",
    "Document",
    "EmergencyContact",
    "EmergencyRequest",
    "FacilityLicence",
    "FacilityLicenceDocument",
    "FacilityLicenceRenewal",
    "HealthRecord",
    "Hospital",
    "HospitalBudget",
    "HospitalComplianceTracking",
    "HospitalFinancialData",
    "HospitalPatient",
    "HospitalResource",
    "LoginThrottle",
    "Message",
    "NigerianLga",
    "Notification",
    "PatientHospitalNumber",
    "PatientNumberSeries",
    "PatientWaitlist",
    "PhysicianLeave",
    "PhysicianSession",
    "Prescription",
    "Profile",
    "ResourceStockMovement",
    "User",
    "UserRole",
    "Wallet",
    "WalletTransaction",
    "WardScreen",
]
