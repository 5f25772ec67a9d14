"""Realistic Finnish and Swedish values for generated documents: names, texts, contacts.

Everything here is test data: the names are common first and surnames with a few made-up
ones ("Esimerkki", "Testinen"), the addresses and phone numbers do not belong to anyone,
and every personal identity code has an individual number 900-999 (test codes).
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from kanta_archive import identifiers as ids

FIRST_NAMES = (
    "Aino", "Eetu", "Ella", "Helmi", "Juho", "Lauri", "Leena", "Maija", "Mikael", "Oskari",
    "Pekka", "Saara", "Sanna", "Timo", "Veera", "Åsa", "Björn", "Jörö", "Äijä", "Öllä",
)  # fmt: skip
LAST_NAMES = (
    "Esimerkki", "Malli", "Testinen", "Virtanen", "Korhonen", "Mäkelä", "Nieminen", "Lindqvist",
    "Söderström", "Hämäläinen", "Turvanen", "Koski",
)  # fmt: skip
TITLES = ("sosiaalityöntekijä", "sosiaaliohjaaja", "vastaava ohjaaja", "lähihoitaja", "johtava")
STREETS = ("Mallikatu", "Esimerkkitie", "Koivukuja", "Rantapolku", "Salakuja", "Storgatan")
PLACES = ("Esimerkkilä", "Malliniemi", "Lahti", "Kuopio", "Vasa")
TEXT = {
    "fi": (
        "Asiakkaan tilanne käytiin läpi yhdessä.",
        "Sovittiin seuraava tapaaminen kahden viikon päähän.",
        "Huoltaja kertoi arjen sujuneen paremmin.",
        "Palvelutarve arvioidaan uudelleen syksyllä.",
        "Kotikäynti tehtiin yhdessä työparin kanssa.",
        "Asiakas toivoo tukea asumiseen ja raha-asioihin.",
        "Yhteydenotto koulukuraattorilta: huoli poissaoloista.",
        "Tilanne 2024-45 kirjattiin muistiin.",  # free text that looks like a date
    ),
    "sv": (
        "Klientens situation gicks igenom tillsammans.",
        "Nästa möte avtalades om två veckor.",
        "Vårdnadshavaren berättade att vardagen har gått bättre.",
        "Servicebehovet bedöms på nytt i höst.",
        "Hembesöket gjordes tillsammans med en kollega.",
    ),
}
TITLE_TAILS = {
    "fi": ("tapaaminen", "kotikäynti", "yhteydenotto", "arviointi", "jatkosuunnitelma"),
    "sv": ("möte", "hembesök", "kontakt", "bedömning", "fortsatt plan"),
}
# Keys whose dates come before / after the event day.
START_KEYS = ("alkamis", "avaus", "alkaen", "liittymis", "syntyma")
END_KEYS = ("paattymis", "asti", "loppu")


def person_name(rng: Random) -> tuple[str, str]:
    """(first names, surname)."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def birth_date(rng: Random, oldest: int = 1930, youngest: int = 2023) -> date:
    """A birth date between the two years."""
    first = date(oldest, 1, 1)
    return first + timedelta(days=rng.randrange((date(youngest, 12, 31) - first).days))


def test_hetu(rng: Random, birth: date | None = None) -> str:
    """A valid personal identity code with an individual number 900-999 (a test code)."""
    return ids.make_hetu(birth or birth_date(rng), rng.randint(900, 999))


def text(rng: Random, lang: str, low: int = 1, high: int = 400) -> str:
    """One to three sentences in ``lang`` (Finnish for anything but Swedish)."""
    pool = TEXT.get(lang, TEXT["fi"])
    value = " ".join(rng.sample(pool, rng.randint(1, min(3, len(pool)))))
    while len(value) < low:
        value += " " + rng.choice(TEXT["fi"])
    return value[: max(high, low)].strip() or value[:high]


def contact(rng: Random, key: str) -> str | None:
    """A value for a contact field by its key (street address, post code, phone, e-mail)."""
    if key == "lahiosoite" or key == "katuosoite":
        return f"{rng.choice(STREETS)} {rng.randint(1, 60)} B {rng.randint(1, 30)}"
    if key == "postitoimipaikka":
        return rng.choice(PLACES)
    if key == "postinumero":
        return f"{rng.randrange(100, 99999):05d}"
    if "puhelin" in key:
        return f"+358 40 {rng.randrange(10**7):07d}"
    if "sahkoposti" in key:
        return f"testi.{rng.randrange(10**4):04d}@example.invalid"
    return None


def day_for(rng: Random, key: str, day: date) -> date:
    """The date for a date field: starts before the event day, ends after it."""
    if any(part in key for part in START_KEYS):
        return day - timedelta(days=rng.randint(0, 400))
    if any(part in key for part in END_KEYS):
        return day + timedelta(days=rng.randint(0, 200))
    return day
