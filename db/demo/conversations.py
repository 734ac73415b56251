"""Chats between patients and their doctors, the triage bot or their community agent (db.demo.chat_scripts)."""

from __future__ import annotations

import json
from datetime import timedelta

from db.demo.chat_scripts import PHOTO, SCRIPTS
from db.demo.copy_writer import CopyWriter
from db.demo.draws import weighted
from db.demo.identifiers import IdMaker
from db.demo.network import Network, pick_physician

CONVERSATION_COLUMNS = ("id", "patient_id", "physician_id", "type", "title", "status", "created_at", "updated_at")
MESSAGE_COLUMNS = (
    "id", "conversation_id", "sender_id", "sender_type", "message_type", "content", "metadata", "created_at",
)  # fmt: skip
CONVERSATION_BATCH = 5_000
CONVERSATION_TYPES = (("physician_consultation", 50), ("ai_diagnosis", 35), ("agent_support", 15))


def write_conversations(network: Network, writer: CopyWriter) -> None:
    rng = network.rng("conversations")
    ids = IdMaker("conversations")
    message_ids = IdMaker("messages")
    clock = network.clock
    kinds, kind_weights = weighted(CONVERSATION_TYPES)
    total = network.plan.conversations
    message_number = 0
    for start in range(0, total, CONVERSATION_BATCH):
        conversations, messages = [], []
        for number in range(start, min(total, start + CONVERSATION_BATCH)):
            patient = network.pick_patient(rng)
            hospital = patient.hospital
            kind = rng.choices(kinds, kind_weights)[0]
            title, script = rng.choice(SCRIPTS[kind])
            if kind == "physician_consultation":
                other = pick_physician(rng, hospital, patient)
                other_id, other_type = other.user_id, "physician"
            elif kind == "agent_support":
                other = rng.choice(hospital.agents)
                other_id, other_type = other.user_id, "agent"
            else:
                other, other_id, other_type = None, None, "ai_bot"
            conversation_id = ids(number)
            began = clock.between(rng, max(patient.created_at, clock.history_start), clock.now - timedelta(hours=1))
            moment = began
            # Most chats run to their end; some stop after the first answer or two.
            length = len(script) if rng.random() < 0.6 else rng.randint(2, len(script))
            for position, line in enumerate(script[:length]):
                from_patient = position % 2 == 0
                sender_id, sender_type = (patient.user_id, "patient") if from_patient else (other_id, other_type)
                message_type, metadata, content = "text", None, line
                if line.startswith(PHOTO):
                    message_type, content = "image", line.removeprefix(PHOTO)
                    photo = {"file_name": f"photo_{number}_{position}.jpg", "size_kb": rng.randint(80, 900)}
                    metadata = json.dumps(photo)
                elif sender_type == "ai_bot":
                    triage = {
                        "model": "triage-assistant-2",
                        "urgency": rng.choice(("low", "medium", "high")),
                        "confidence": round(rng.uniform(0.55, 0.97), 2),
                    }
                    metadata = json.dumps(triage)
                messages.append(
                    (message_ids(message_number), conversation_id, sender_id, sender_type, message_type, content,
                     metadata, moment)
                )  # fmt: skip
                message_number += 1
                # The bot answers in seconds; people take minutes to hours.
                pause = rng.uniform(2, 20) if not from_patient and other is None else rng.uniform(60, 3 * 3600)
                moment = min(moment + timedelta(seconds=pause), clock.now - timedelta(minutes=1))
            last = messages[-1][-1]
            if clock.now - last < timedelta(days=14):
                status = "active"
            else:
                status = "closed" if rng.random() < 0.7 else "archived"
            physician_id = other.profile_id if other_type == "physician" else None
            conversations.append((conversation_id, patient.user_id, physician_id, kind, title, status, began, last))
        writer.write("conversations", CONVERSATION_COLUMNS, conversations)
        writer.write("messages", MESSAGE_COLUMNS, messages)
    writer.finish("conversations", "messages")
