"""What patients, doctors, the triage bot and community agents say to each other in the demo's chats.

Each script alternates patient, other side, patient, ...; a conversation plays the first few lines
of one (at least the opening question and its answer), so every chat reads as one exchange.
Lines starting with PHOTO are sent as images.
"""

from __future__ import annotations

PHOTO = "[photo] "

PHYSICIAN_SCRIPTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Fever and body pains",
        (
            "I have had fever and body pains since Tuesday, and I feel weak.",
            "Sorry to hear that. Any vomiting, headache or dark urine?",
            "A headache, but no vomiting.",
            "Please do a malaria test and a full blood count at the lab, then send me the results.",
            "The malaria test was positive.",
            "I have prescribed artemether-lumefantrine for three days. Take it with food and drink plenty of water.",
            "Thank you, doctor. I will start today.",
            "If the fever is not better in 48 hours, come to the clinic.",
        ),
    ),
    (
        "Blood pressure readings",
        (
            "My BP readings this week were around 150/95. Should I be worried?",
            "That is higher than we want. Are you taking your amlodipine every morning?",
            "I missed some days because the pharmacy ran out.",
            "Please restart it today. Reduce salt, and check your BP twice daily for one week.",
            "Okay, I will send the readings next week.",
            "Good. If you get a severe headache or blurred vision, go to the emergency unit at once.",
        ),
    ),
    (
        "Prescription refill",
        (
            "My metformin will finish on Friday. Can I get a refill?",
            "Yes. How has your sugar been this month?",
            "Fasting readings are between 6 and 7.",
            "That is good control. I have sent a 30-day refill to the pharmacy.",
            "Thank you, doctor.",
            "Book a review with me in three months, and bring your glucose diary.",
        ),
    ),
    (
        "Lab results question",
        (
            "I got my lab results on the app. What does a high ESR mean?",
            "ESR rises with inflammation or infection. It is not a diagnosis by itself.",
            "Should I be worried?",
            "Your other results are normal. Let us repeat it in four weeks and see you in clinic.",
            "Okay. Should I fast for the repeat test?",
            "No fasting needed for ESR.",
        ),
    ),
    (
        "Pregnancy check-in",
        (
            "I am 28 weeks pregnant and my feet are swelling in the evening.",
            "Some swelling is common. Do you have headaches, blurred vision or pain under the ribs?",
            "No, just the swelling.",
            "Please check your blood pressure at the antenatal clinic this week and rest with your feet raised.",
            "I will go on Thursday.",
            "Good. Come at once if the swelling is sudden or you feel the baby moving less.",
        ),
    ),
    (
        "Child with cough",
        (
            "My son has been coughing for five days, worse at night.",
            "How old is he, and does he have a fever or fast breathing?",
            "He is four. A small fever, but he is playing.",
            "Give paracetamol for the fever and plenty of fluids. Let us see him in the paediatric clinic tomorrow.",
            PHOTO + "Here is the syrup I have at home.",
            "Do not give that one to a four-year-old. We will prescribe something suitable tomorrow.",
            "Okay, thank you doctor.",
        ),
    ),
    (
        "Skin rash",
        (
            "I have an itchy rash on my arms since I started a new soap.",
            "Please send a clear photo of the rash.",
            PHOTO + "Here is the rash on my left arm.",
            "It looks like contact dermatitis. Stop the new soap and use the cream I have prescribed twice daily.",
            "How long before it clears?",
            "Usually one to two weeks. If it spreads or blisters, book a visit.",
        ),
    ),
    (
        "Stomach pain",
        (
            "I have had stomach pain after meals for about two weeks.",
            "Is it a burning pain? Any black stools or vomiting blood?",
            "Burning, yes. No blood.",
            "It may be an ulcer or gastritis. Avoid painkillers like ibuprofen; I have prescribed omeprazole.",
            "Should I stop pepper soup?",
            "Cut down on spicy food and alcohol for now. We will test for H. pylori at your visit.",
        ),
    ),
)

BOT_SCRIPTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Symptom check: fever",
        (
            "I have fever and chills.",
            "I can help you understand your symptoms. How long have you had them?",
            "Since yesterday night.",
            "Do you have any of these: confusion, difficulty breathing, or a stiff neck?",
            "No.",
            "These symptoms are common with malaria. Please get tested at a nearby lab or clinic today.",
            "Can I talk to a doctor?",
            "Yes. I can book a video consultation for you. The next free slot is this afternoon.",
        ),
    ),
    (
        "Symptom check: chest pain",
        (
            "I have chest pain when I climb stairs.",
            "On a scale of 1 to 10, how severe is the pain, and does it spread to your arm or jaw?",
            "About 5. It does not spread.",
            "Chest pain on effort needs a doctor's review soon. Would you like me to book a cardiology visit?",
            "Yes please.",
            "Done. If the pain comes at rest or lasts more than 15 minutes, call emergency services now.",
        ),
    ),
    (
        "Symptom check: headache",
        (
            "I have had a headache for three days.",
            "Is this the worst headache of your life, or did it start suddenly?",
            "No, it is a dull pain.",
            "Have you checked your blood pressure recently?",
            "Not in a while.",
            "Please have your blood pressure checked today; many pharmacies do it. I can also book a GP visit.",
        ),
    ),
)

AGENT_SCRIPTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Wallet top-up not showing",
        (
            "I topped up my wallet but the balance has not changed.",
            "Good morning! I am your community health agent. When did you pay, and by card or transfer?",
            "By transfer, this morning.",
            "Transfers can take up to an hour. Please send me the receipt.",
            PHOTO + "Here is the receipt.",
            "Thank you. Your wallet top-up is confirmed; the balance should show now.",
        ),
    ),
    (
        "Booking an appointment",
        (
            "Please help me book to see the eye doctor.",
            "Of course. Which days are best for you?",
            "Thursday morning.",
            "I have booked your appointment for Thursday at 10:00. You will get a reminder the day before.",
            "Thank you very much.",
        ),
    ),
    (
        "Transport to the clinic",
        (
            "I cannot find transport for my clinic visit on Monday.",
            "I can arrange a ride with our partner. What time is your appointment?",
            "9:30.",
            "Transport is arranged for 8:30 from your house. The driver will call you.",
            "God bless you.",
        ),
    ),
    (
        "NHIA enrolment",
        (
            "How do I add my children to my NHIA plan?",
            "You need their birth certificates and a passport photo each. I can come on Saturday to help.",
            "Saturday is fine.",
            "I will come at 11:00. Please also have your own NHIA number ready.",
        ),
    ),
)

SCRIPTS = {
    "physician_consultation": PHYSICIAN_SCRIPTS,
    "ai_diagnosis": BOT_SCRIPTS,
    "agent_support": AGENT_SCRIPTS,
}
