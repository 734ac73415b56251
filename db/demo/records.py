"""Patients' health records and prescriptions, written by the physicians of their home hospital."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from db.demo.copy_writer import CopyWriter
from db.demo.identifiers import IdMaker
from db.demo.network import Network, Person, pick_physician

HEALTH_RECORD_COLUMNS = (
    "id", "patient_id", "record_type", "title", "description", "recorded_date", "recorded_by", "record_data",
    "document_url", "is_sensitive", "created_at", "updated_at",
)  # fmt: skip
PRESCRIPTION_COLUMNS = (
    "id", "patient_id", "physician_id", "medication_name", "dosage", "frequency", "duration", "instructions",
    "status", "created_at", "updated_at",
)  # fmt: skip

FILES_URL = "https://files.demo.healthdash.ng/"

RECORD_TYPES = (
    "vital_signs", "vital_signs", "lab_result", "lab_result", "diagnosis", "immunization", "allergy", "imaging",
    "visit_summary",
)  # fmt: skip
DIAGNOSES = (
    ("Uncomplicated malaria", "B54"),
    ("Essential hypertension", "I10"),
    ("Type 2 diabetes mellitus", "E11"),
    ("Upper respiratory tract infection", "J06.9"),
    ("Typhoid fever", "A01.0"),
    ("Peptic ulcer disease", "K27"),
    ("Sickle cell disease", "D57"),
    ("Iron deficiency anaemia", "D50"),
)
LAB_RESULTS = (
    ("Malaria RDT", ("positive", "negative", "negative")),
    ("Full blood count", ("normal", "low haemoglobin", "raised white cells")),
    ("Fasting blood sugar", ("5.4 mmol/L", "7.8 mmol/L", "6.1 mmol/L")),
    ("HIV screening", ("non-reactive",)),
    ("Hepatitis B surface antigen", ("negative", "positive")),
    ("Lipid profile", ("normal", "raised LDL")),
)
VACCINES = ("Yellow fever", "Hepatitis B", "Tetanus toxoid", "COVID-19", "Measles", "HPV", "Meningitis A")
ALLERGIES = ("Penicillin", "Sulfonamides", "Groundnuts", "Shellfish", "Chloroquine", "Latex")
MEDICATIONS = (
    # (name, dosage, frequency, duration, instructions, days)
    ("Artemether-lumefantrine", "80/480 mg", "Twice daily", "3 days", "Take with fatty food", 3),
    ("Amlodipine", "5 mg", "Once daily", "30 days", "Take in the morning", 30),
    ("Metformin", "500 mg", "Twice daily", "30 days", "Take with meals", 30),
    ("Lisinopril", "10 mg", "Once daily", "30 days", None, 30),
    ("Amoxicillin", "500 mg", "Three times daily", "7 days", "Complete the full course", 7),
    ("Paracetamol", "1 g", "Every 8 hours as needed", "5 days", "Do not exceed 4 g a day", 5),
    ("Ciprofloxacin", "500 mg", "Twice daily", "7 days", "Avoid antacids within 2 hours", 7),
    ("Omeprazole", "20 mg", "Once daily", "14 days", "Take before breakfast", 14),
    ("Losartan", "50 mg", "Once daily", "30 days", None, 30),
    ("Ferrous sulphate", "200 mg", "Once daily", "60 days", "Take with orange juice", 60),
    ("Folic acid", "5 mg", "Once daily", "90 days", None, 90),
    ("Metronidazole", "400 mg", "Three times daily", "7 days", "No alcohol during treatment", 7),
    ("Salbutamol inhaler", "100 mcg", "2 puffs as needed", "30 days", "Rinse mouth after use", 30),
    ("Oral rehydration salts", "1 sachet", "After each loose stool", "3 days", "Mix with 1 litre of clean water", 3),
    ("Zinc sulphate", "20 mg", "Once daily", "10 days", "For children with diarrhoea", 10),
)


def write_records(network: Network, writer: CopyWriter) -> None:
    writer.write("health_records", HEALTH_RECORD_COLUMNS, _health_records(network))
    writer.finish("health_records")
    writer.write("prescriptions", PRESCRIPTION_COLUMNS, _prescriptions(network))
    writer.finish("prescriptions")


def _health_records(network: Network) -> Iterator[tuple]:
    rng = network.rng("health_records")
    ids = IdMaker("health_records")
    clock = network.clock
    number = 0
    for patient in network.patients:
        for _ in range(rng.randint(1, 5)):
            physician = pick_physician(rng, patient.hospital, patient)
            recorded = clock.between(rng, max(patient.created_at, clock.history_start), clock.now - timedelta(hours=1))
            kind = rng.choice(RECORD_TYPES)
            title, description, data, sensitive, url = _record_content(rng, kind, patient, number)
            yield (
                ids(number),
                patient.user_id,
                kind,
                title,
                description,
                recorded,
                physician.user_id,  # plain-text person references hold users.id, like audit_logs.user_id
                json.dumps(data),
                url,
                sensitive,
                recorded,
                recorded,
            )
            number += 1


def _record_content(rng, kind: str, patient: Person, number: int):
    """(title, description, record_data, is_sensitive, document_url) for one record of `kind`."""
    if kind == "vital_signs":
        data = {
            "bp_systolic": rng.randint(100, 170),
            "bp_diastolic": rng.randint(60, 105),
            "pulse": rng.randint(58, 110),
            "temperature_c": round(rng.uniform(36.1, 39.4), 1),
            "weight_kg": round(rng.uniform(12, 35) if rng.random() < 0.15 else rng.uniform(48, 110), 1),
        }
        return "Vital signs", f"BP {data['bp_systolic']}/{data['bp_diastolic']} mmHg", data, False, None
    if kind == "lab_result":
        test, results = rng.choice(LAB_RESULTS)
        result = rng.choice(results)
        url = f"{FILES_URL}records/lab-{number}.pdf"
        return test, f"{test}: {result}", {"test": test, "result": result}, test == "HIV screening", url
    if kind == "diagnosis":
        name, code = rng.choice(DIAGNOSES)
        return name, f"Diagnosed {name.lower()}", {"icd10": code, "name": name}, False, None
    if kind == "immunization":
        vaccine = rng.choice(VACCINES)
        return f"{vaccine} vaccine", f"Dose {rng.randint(1, 3)} given", {"vaccine": vaccine}, False, None
    if kind == "allergy":
        allergen = rng.choice(ALLERGIES)
        reaction = rng.choice(("rash", "swelling", "itching", "breathing difficulty"))
        data = {"allergen": allergen, "reaction": reaction}
        return f"Allergy: {allergen}", f"Reaction: {reaction}", data, False, None
    if kind == "imaging":
        study = rng.choice(("Chest X-ray", "Abdominal ultrasound", "Obstetric ultrasound", "Knee X-ray"))
        finding = rng.choice(("no abnormality detected", "mild changes, review in 6 months", "see report"))
        url = f"{FILES_URL}records/imaging-{number}.pdf"
        return study, f"{study}: {finding}", {"study": study, "finding": finding}, False, url
    mental_health = rng.random() < 0.1
    title = "Mental health review" if mental_health else "Clinic visit summary"
    return (
        title,
        "Seen in clinic; plan discussed with patient",
        {"follow_up_weeks": rng.choice((1, 2, 4, 12))},
        (mental_health),
        None,
    )


def _prescriptions(network: Network) -> Iterator[tuple]:
    rng = network.rng("prescriptions")
    ids = IdMaker("prescriptions")
    clock = network.clock
    number = 0
    for patient in network.patients:
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
            physician = pick_physician(rng, patient.hospital, patient)
            name, dosage, frequency, duration, instructions, days = rng.choice(MEDICATIONS)
            since = max(patient.created_at, clock.history_start)
            prescribed = clock.between(rng, since, clock.now - timedelta(hours=1))
            ends = prescribed + timedelta(days=days)
            draw = rng.random()
            if draw < 0.05:
                status, updated = "cancelled", prescribed + timedelta(hours=rng.uniform(1, 48))
            elif draw < 0.12:
                status, updated = "discontinued", prescribed + timedelta(days=rng.uniform(1, days))
            elif ends < clock.now:
                status, updated = "completed", ends
            else:
                status, updated = "active", prescribed
            yield (
                ids(number),
                patient.user_id,
                physician.profile_id,
                name,
                dosage,
                frequency,
                duration,
                instructions,
                status,
                prescribed,
                min(updated, clock.now),
            )
            number += 1
