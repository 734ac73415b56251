"""Nigerian personal names by region, so a patient in Kano is likelier Hausa than Igbo.

A quarter of the people in any city draw from the whole country: Nigerians move, and a Lagos ward
holds names from every region.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class NamePool:
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]


POOLS: dict[str, NamePool] = {
    "south_west": NamePool(
        male=("Adebayo", "Adewale", "Babatunde", "Olufemi", "Oluwaseun", "Segun", "Tunde", "Gbenga", "Kayode",
              "Ayodele", "Olumide", "Femi", "Dapo", "Kunle", "Tobi", "Wale"),
        female=("Folake", "Funmilayo", "Temitope", "Titilayo", "Yetunde", "Bukola", "Damilola", "Abimbola",
                "Omolara", "Adeola", "Ifeoluwa", "Morenike", "Bisola", "Toyin", "Kemi", "Simisola"),
        surnames=("Adeyemi", "Ogunleye", "Olawale", "Afolabi", "Bakare", "Ogunbiyi", "Adeleke", "Akinola",
                  "Balogun", "Ojo", "Oladipo", "Adesina", "Ogundipe", "Ajayi", "Alabi", "Oyewole", "Adebanjo",
                  "Fashola", "Oyelaran", "Ayinde"),
    ),
    "south_east": NamePool(
        male=("Chinedu", "Chukwuemeka", "Obinna", "Ifeanyi", "Nnamdi", "Uchenna", "Chidi", "Ebuka", "Kelechi",
              "Ikenna", "Emeka", "Tochukwu", "Chibuike", "Somto", "Obiora", "Arinze"),
        female=("Chiamaka", "Ngozi", "Adaeze", "Amarachi", "Ifeoma", "Nneka", "Chisom", "Obiageli", "Uchechi",
                "Chinyere", "Ogechi", "Nkechi", "Ebere", "Adaobi", "Chioma", "Onyinye"),
        surnames=("Okafor", "Okeke", "Nwosu", "Eze", "Obi", "Nwachukwu", "Okonkwo", "Chukwu", "Igwe", "Nwankwo",
                  "Ugwu", "Anyanwu", "Okoro", "Onuoha", "Nnadi", "Uzoma", "Ibe", "Ezenwa", "Onyekwere", "Mbah"),
    ),
    "south_south": NamePool(
        male=("Osagie", "Osaro", "Etinosa", "Nosa", "Ufot", "Tonye", "Preye", "Oghenekaro", "Tamuno", "Ita",
              "Efosa", "Ebikeme", "Ovie", "Ime", "Inyang", "Boma"),
        female=("Efe", "Ese", "Ekaette", "Ebiere", "Edidiong", "Eno", "Imaobong", "Ofure", "Osayuwame", "Timi",
                "Oghenerukevwe", "Ibiere", "Uduak", "Atim", "Nsikak", "Ivie"),
        surnames=("Igbinedion", "Omoregie", "Okon", "Etim", "Bassey", "Effiong", "Ekpo", "Akpan", "Udo", "Briggs",
                  "Ogbe", "Obaseki", "Egbe", "Dappa", "Inyang", "Edet", "Esin", "Oboh", "Asuquo", "Ikpeme"),
    ),
    "north": NamePool(
        male=("Aminu", "Abubakar", "Ibrahim", "Musa", "Usman", "Sani", "Yusuf", "Bello", "Abdullahi", "Kabiru",
              "Lawal", "Bukar", "Nasiru", "Mustapha", "Umar", "Haruna"),
        female=("Aisha", "Fatima", "Hauwa", "Zainab", "Hadiza", "Maryam", "Halima", "Amina", "Safiya", "Falmata",
                "Khadija", "Rukayya", "Bilkisu", "Hafsat", "Jamila", "Sadiya"),
        surnames=("Abdullahi", "Bello", "Mohammed", "Yusuf", "Suleiman", "Garba", "Lawal", "Sani", "Umar",
                  "Danjuma", "Aliyu", "Shehu", "Dikko", "Tijjani", "Kachalla", "Modu", "Idris", "Haruna",
                  "Gambo", "Ringim"),
    ),
    "middle_belt": NamePool(
        male=("Terna", "Msughter", "Iorwuese", "Pam", "Choji", "Dung", "Aondona", "Yakubu", "Daniel", "Emmanuel",
              "Joseph", "Samuel", "Godwin", "Ojonugwa", "Ameh", "Danladi"),
        female=("Dooshima", "Nanret", "Ladi", "Jummai", "Saratu", "Grace", "Blessing", "Esther", "Mercy", "Ene",
                "Ojochide", "Mwuese", "Kaneng", "Rifkatu", "Patience", "Ladidi"),
        surnames=("Tersoo", "Iorliam", "Agber", "Gyang", "Pwajok", "Dalyop", "Bot", "Chuwang", "Audu", "Adamu",
                  "Ameh", "Idoko", "Ochigbo", "Attah", "Agbo", "Onoja", "Akaa", "Gbande", "Dogo", "Kwande"),
    ),
}  # fmt: skip

REGIONS = tuple(POOLS)


def draw_name(rng: random.Random, region: str, gender: str) -> tuple[str, str]:
    """(first name, surname) for a `gender` ('male' or 'female') person living in `region`."""
    pool = POOLS[region] if rng.random() < 0.75 else POOLS[rng.choice(REGIONS)]
    first = rng.choice(pool.female if gender == "female" else pool.male)
    return first, rng.choice(pool.surnames)


def ascii_slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
