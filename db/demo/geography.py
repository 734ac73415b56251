"""Nigerian cities with real coordinates, and where the demo network's hospitals stand.

Hospital sites depend on the scale only, never on the random seed: `demo_logins(scale)` names each
hospital without knowing the seed, and the README's login table must stay true for every seed.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

import naija_data


@dataclass(frozen=True)
class City:
    name: str
    state: str
    latitude: float
    longitude: float
    population_millions: float  # rough metro population: decides how many hospitals a big scale puts here
    region: str  # picks the name pool (db.demo.names) for most people living here
    districts: tuple[str, ...]

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    @property
    def spread_degrees(self) -> float:
        """How far from the centre a site may fall: big cities sprawl (Lagos spans ~30 km)."""
        return 0.02 + 0.025 * math.sqrt(self.population_millions)


# The first twenty are the S=1 network, one hospital each, in this order.
CITIES: tuple[City, ...] = (
    City("Lagos", "Lagos", 6.5244, 3.3792, 15.4, "south_west", ("Ikeja", "Surulere", "Yaba", "Lekki", "Ikorodu")),
    City("Abuja", "FCT", 9.0765, 7.3986, 3.8, "middle_belt", ("Garki", "Wuse", "Maitama", "Gwarinpa")),
    City("Kano", "Kano", 12.0022, 8.5920, 4.3, "north", ("Nassarawa", "Fagge", "Tarauni", "Gwale")),
    City("Ibadan", "Oyo", 7.3775, 3.9470, 3.7, "south_west", ("Bodija", "Dugbe", "Challenge", "Mokola")),
    City("Port Harcourt", "Rivers", 4.8156, 7.0498, 3.3, "south_south", ("GRA", "Rumuokoro", "Trans-Amadi", "D-Line")),
    City("Benin City", "Edo", 6.3350, 5.6037, 1.9, "south_south", ("GRA", "Ugbowo", "Uselu", "Ikpoba Hill")),
    City("Kaduna", "Kaduna", 10.5105, 7.4165, 1.2, "north", ("Barnawa", "Kawo", "Malali", "Ungwan Rimi")),
    City("Enugu", "Enugu", 6.4584, 7.5464, 0.9, "south_east", ("Independence Layout", "New Haven", "Trans-Ekulu")),
    City("Jos", "Plateau", 9.8965, 8.8583, 0.9, "middle_belt", ("Rayfield", "Bukuru", "Angwan Rukuba")),
    City("Ilorin", "Kwara", 8.4966, 4.5426, 1.0, "south_west", ("GRA", "Tanke", "Adewole", "Offa Garage")),
    City("Abeokuta", "Ogun", 7.1475, 3.3619, 0.6, "south_west", ("Ibara", "Oke-Mosan", "Kuto", "Lafenwa")),
    City("Onitsha", "Anambra", 6.1450, 6.7886, 1.5, "south_east", ("Fegge", "GRA", "Woliwo", "Odoakpu")),
    City("Warri", "Delta", 5.5167, 5.7500, 0.9, "south_south", ("Effurun", "Okumagba", "Airport Road")),
    City("Calabar", "Cross River", 4.9757, 8.3417, 0.6, "south_south", ("Marian", "Diamond Hill", "Ekorinim")),
    City("Uyo", "Akwa Ibom", 5.0377, 7.9128, 1.0, "south_south", ("Ewet Housing", "Shelter Afrique", "Itam")),
    City("Owerri", "Imo", 5.4840, 7.0351, 0.5, "south_east", ("New Owerri", "Ikenegbu", "World Bank")),
    City("Maiduguri", "Borno", 11.8311, 13.1510, 0.8, "north", ("Bulumkutu", "Gwange", "Old GRA")),
    City("Sokoto", "Sokoto", 13.0059, 5.2476, 0.7, "north", ("Gawon Nama", "Runjin Sambo", "Mabera")),
    City("Akure", "Ondo", 7.2571, 5.2058, 0.5, "south_west", ("Alagbaka", "Ijapo", "Oba-Ile")),
    City("Osogbo", "Osun", 7.7827, 4.5418, 0.7, "south_west", ("Oke-Fia", "Alekuwodo", "Ogo-Oluwa")),
    City("Yola", "Adamawa", 9.2035, 12.4954, 0.4, "north", ("Jimeta", "Karewa", "Doubeli")),
    City("Makurdi", "Benue", 7.7322, 8.5391, 0.4, "middle_belt", ("Wurukum", "High Level", "North Bank")),
    City("Aba", "Abia", 5.1066, 7.3667, 1.0, "south_east", ("Ariaria", "Ogbor Hill", "Eziama")),
    City("Zaria", "Kaduna", 11.0855, 7.7199, 1.0, "north", ("Samaru", "Sabon Gari", "Tudun Wada")),
    City("Bauchi", "Bauchi", 10.3158, 9.8442, 0.6, "north", ("GRA", "Yelwa", "Wunti")),
    City("Abakaliki", "Ebonyi", 6.3249, 8.1137, 0.3, "south_east", ("Kpirikpiri", "Azugwu", "Presco")),
    City("Asaba", "Delta", 6.1980, 6.7319, 0.2, "south_east", ("Okpanam Road", "Cable Point", "GRA")),
    City("Lokoja", "Kogi", 7.8023, 6.7333, 0.2, "middle_belt", ("Lokongoma", "Adankolo", "Ganaja")),
    City("Minna", "Niger", 9.6139, 6.5569, 0.3, "middle_belt", ("Tunga", "Bosso", "Chanchaga")),
    City("Katsina", "Katsina", 12.9908, 7.6018, 0.5, "north", ("Kofar Marusa", "GRA", "Kofar Kaura")),
    City("Gombe", "Gombe", 10.2897, 11.1673, 0.4, "north", ("Tudun Wada", "Pantami", "Federal Lowcost")),
    City("Umuahia", "Abia", 5.5263, 7.4896, 0.3, "south_east", ("Ibeku", "World Bank", "Amuzukwu")),
    City("Awka", "Anambra", 6.2104, 7.0710, 0.3, "south_east", ("Amawbia", "Ifite", "Okpuno")),
    City("Ado-Ekiti", "Ekiti", 7.6212, 5.2210, 0.4, "south_west", ("Oke-Ila", "Ajilosun", "Basiri")),
    City("Lafia", "Nasarawa", 8.4939, 8.5150, 0.2, "middle_belt", ("Shabu", "Bukan Sidi", "Tudun Amba")),
    City("Yenagoa", "Bayelsa", 4.9267, 6.2676, 0.3, "south_south", ("Opolo", "Kpansia", "Swali")),
    City("Birnin Kebbi", "Kebbi", 12.4539, 4.1975, 0.2, "north", ("GRA", "Badariya", "Gesse")),
    City("Dutse", "Jigawa", 11.7562, 9.3389, 0.1, "north", ("Takur", "Yadi", "Limawa")),
    City("Damaturu", "Yobe", 11.7470, 11.9608, 0.1, "north", ("Nayinawa", "Pompomari", "Sabon Fegi")),
    City("Jalingo", "Taraba", 8.8933, 11.3596, 0.2, "middle_belt", ("Mayo Gwoi", "Sabon Gari", "Barade")),
    City("Gusau", "Zamfara", 12.1628, 6.6614, 0.2, "north", ("Tudun Wada", "Sabon Gari", "Samaru")),
)

CORE_CITY_COUNT = 20

# The local government areas (naija-data's names, migration 0021's nigerian_lgas) that each city's hospitals
# stand in: a city's first hospital in the first, later ones in turn, so a big scale spreads Lagos over its LGAs.
CITY_LGAS: dict[str, tuple[str, ...]] = {
    "Lagos": ("Ikeja", "Surulere", "Lagos Mainland", "Eti-Osa", "Ikorodu", "Alimosho", "Lagos Island", "Kosofe"),
    "Abuja": ("Abuja Municipal", "Bwari", "Gwagwalada"),
    "Kano": ("Nasarawa", "Fagge", "Tarauni", "Gwale", "Kano Municipal"),
    "Ibadan": ("Ibadan North", "Ibadan South West", "Ibadan North West", "Egbeda"),
    "Port Harcourt": ("Port Harcourt", "Obio/Akpor", "Eleme"),
    "Benin City": ("Oredo", "Egor", "Ikpoba/Okha"),
    "Kaduna": ("Kaduna North", "Kaduna South", "Chikun"),
    "Enugu": ("Enugu North", "Enugu East", "Enugu South"),
    "Jos": ("Jos North", "Jos South"),
    "Ilorin": ("Ilorin-West", "Ilorin East", "Ilorin-South"),
    "Abeokuta": ("Abeokuta South", "Abeokuta North"),
    "Onitsha": ("Onitsha-North", "Onitsha-South"),
    "Warri": ("Warri South", "Uvwie"),
    "Calabar": ("Calabar Municipal", "Calabar South"),
    "Uyo": ("Uyo",),
    "Owerri": ("Owerri Municipal", "Owerri North", "Owerri West"),
    "Maiduguri": ("Maiduguri", "Jere"),
    "Sokoto": ("Sokoto North", "Sokoto South", "Wamakko"),
    "Akure": ("Akure South", "Akure North"),
    "Osogbo": ("Osogbo", "Olorunda"),
    "Yola": ("Yola North", "Yola South"),
    "Makurdi": ("Makurdi",),
    "Aba": ("Aba North", "Aba South"),
    "Zaria": ("Zaria", "Sabon Gari"),
    "Bauchi": ("Bauchi",),
    "Abakaliki": ("Abakaliki", "Ebonyi"),
    "Asaba": ("Oshimili-South",),
    "Lokoja": ("Lokoja",),
    "Minna": ("Chanchaga", "Bosso"),
    "Katsina": ("Katsina",),
    "Gombe": ("Gombe",),
    "Umuahia": ("Umuahia North", "Umuahia South"),
    "Awka": ("Awka South", "Awka North"),
    "Ado-Ekiti": ("Ado Ekiti",),
    "Lafia": ("Lafia",),
    "Yenagoa": ("Yenagoa",),
    "Birnin Kebbi": ("Birnin Kebbi",),
    "Dutse": ("Dutse",),
    "Damaturu": ("Damaturu",),
    "Jalingo": ("Jalingo",),
    "Gusau": ("Gusau",),
}
# The state whose hospitals all await the network's verification (network.py holds them pending): the map's
# "a state with hospitals and none verified" (docs/demo-data.md). Osogbo is its one city.
UNVERIFIED_STATE = "Osun"

HOSPITAL_KINDS = (
    "Specialist Hospital",
    "Teaching Hospital",
    "Medical Centre",
    "Women and Children's Hospital",
    "Heart and Vascular Centre",
    "Family Health Clinic",
    "Orthopaedic Hospital",
    "Eye and ENT Hospital",
    "Diagnostic and Surgical Centre",
)

STREETS = (
    "Awolowo Road",
    "Ahmadu Bello Way",
    "Nnamdi Azikiwe Street",
    "Herbert Macaulay Way",
    "Murtala Mohammed Way",
    "Tafawa Balewa Road",
    "Aminu Kano Crescent",
    "Independence Avenue",
    "Okpara Avenue",
    "Hospital Road",
    "Isaac Boro Road",
    "Sapele Road",
    "Ring Road",
    "Stadium Road",
    "Market Road",
    "Airport Road",
    "Broad Street",
    "Station Road",
    "Zik Avenue",
    "Sultan Abubakar Road",
)

# Mobile prefixes of MTN, Airtel, Glo and 9mobile: numbers look Nigerian and never name a real line
# because the subscriber part comes from the demo's own random stream.
PHONE_PREFIXES = (
    "803", "806", "813", "816", "703", "706", "810", "814", "903", "906",
    "805", "807", "815", "811", "905", "802", "808", "812", "708", "701",
    "902", "809", "817", "818", "909", "908",
)  # fmt: skip


@dataclass(frozen=True)
class HospitalSite:
    index: int
    city: City
    number_in_city: int
    name: str
    latitude: float
    longitude: float

    @property
    def slug(self) -> str:
        return f"{self.city.slug}-{self.number_in_city}"

    @property
    def state(self) -> str:
        """The state's name as naija-data spells it (hospitals.state): "FCT" is "Federal Capital Territory"."""
        return state_name(self.city.state)

    @property
    def lga(self) -> str:
        lgas = CITY_LGAS[self.city.name]
        return lgas[(self.number_in_city - 1) % len(lgas)]


def state_name(short: str) -> str:
    found = naija_data.get_state(short)
    if found is None:
        raise ValueError(f"{short} is not a Nigerian state")
    return found.name


def _city_sequence(count: int) -> list[City]:
    """The first twenty cities once each, then seats by population (D'Hondt), so Lagos grows most."""
    cities = list(CITIES[: min(count, CORE_CITY_COUNT)])
    seats = dict.fromkeys(CITIES, 0)
    for city in cities:
        seats[city] += 1
    order = {city: position for position, city in enumerate(CITIES)}
    while len(cities) < count:
        best = max(CITIES, key=lambda c: (c.population_millions / (seats[c] + 1), -order[c]))
        seats[best] += 1
        cities.append(best)
    return cities


def hospital_sites(count: int) -> list[HospitalSite]:
    """`count` hospitals with unique names and coordinates jittered around their city's centre."""
    # A fixed stream, independent of the build's seed (see the module docstring).
    rng = random.Random("healthdash-demo-hospital-sites")
    per_city: dict[str, int] = {}
    used_names: set[str] = set()
    sites = []
    for index, city in enumerate(_city_sequence(count)):
        number = per_city.get(city.name, 0) + 1
        per_city[city.name] = number
        kind = HOSPITAL_KINDS[(index + number - 1) % len(HOSPITAL_KINDS)]
        name = f"{city.name} {kind}"
        branch = 2
        while name in used_names:
            name = f"{city.name} {kind} {branch}"
            branch += 1
        used_names.add(name)
        # The first hospital of a city stands near its centre; later ones spread over the metro area.
        spread = city.spread_degrees * (0.25 if number == 1 else 1.0)
        latitude, longitude = jitter(rng, city.latitude, city.longitude, spread)
        sites.append(HospitalSite(index, city, number, name, latitude, longitude))
    return sites


def jitter(rng: random.Random, latitude: float, longitude: float, spread: float) -> tuple[float, float]:
    """A point near (latitude, longitude), at most `spread` degrees away on each axis, 6 decimals."""
    d_lat = max(-spread, min(spread, rng.gauss(0.0, spread / 2)))
    d_lon = max(-spread, min(spread, rng.gauss(0.0, spread / 2)))
    return round(latitude + d_lat, 6), round(longitude + d_lon, 6)


def street_address(rng: random.Random, city: City) -> str:
    return f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {rng.choice(city.districts)}, {city.name}"


def phone_number(rng: random.Random) -> str:
    return f"+234-{rng.choice(PHONE_PREFIXES)}-{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}"
