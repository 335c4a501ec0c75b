"""Synthetic French news stories for load tests: no French news corpus ships with the project or its data.

Each story is a headline and 10 to 16 sentences drawn from news-like templates, their slots filled with people,
places, organisations, days and numbers, so that stories differ as much as real ones do (the dedup stage
passes them as first copies) and name entities in every sentence, as news does. Reproducible from the seed.
The text is for measuring speed, not the model's accuracy: news-like, not always grammatical, never true.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

PEOPLE = [
    "Emmanuel Macron", "Élisabeth Borne", "Gabriel Attal", "Bruno Le Maire", "Marine Le Pen", "Jean-Luc Mélenchon",
    "Anne Hidalgo", "Olaf Scholz", "Ursula von der Leyen", "Christine Lagarde", "Giorgia Meloni", "Pedro Sánchez",
    "Volodymyr Zelensky", "Vladimir Poutine", "Joe Biden", "Antonio Guterres", "Thierry Breton", "Rachida Dati",
    "Édouard Philippe", "Gérald Darmanin", "Catherine Colonna", "Jordan Bardella", "François Bayrou", "Xi Jinping",
    "Mark Rutte", "Charles Michel", "Roberta Metsola", "Kaja Kallas", "Luiz Inácio Lula da Silva", "Narendra Modi",
]  # fmt: skip
PLACES = [
    "Paris", "Lyon", "Marseille", "Bordeaux", "Lille", "Toulouse", "Strasbourg", "Nantes", "Bruxelles", "Berlin",
    "Genève", "Madrid", "Rome", "Kiev", "Moscou", "Washington", "Pékin", "Dakar", "Abidjan", "Montréal", "Alger",
    "Tunis", "Rabat", "Beyrouth", "Varsovie", "Londres", "Vienne", "Luxembourg", "Bamako", "Niamey",
]  # fmt: skip
ORGS = [
    "l'Union européenne", "l'OTAN", "l'ONU", "la Banque centrale européenne", "le Fonds monétaire international",
    "l'Assemblée nationale", "le Sénat", "le Conseil constitutionnel", "la SNCF", "Air France", "Renault",
    "TotalEnergies", "la Commission européenne", "l'Insee", "la CGT", "le Medef", "l'Organisation mondiale de la santé",
    "Airbus", "EDF", "la Cour des comptes",
]  # fmt: skip
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
HEADLINES = [
    "{p} en visite à {l} pour parler de {o}",
    "{o} sous pression après les propos de {p}",
    "À {l}, {p} promet des mesures rapides",
    "{p} et {q} s'accordent sur un plan commun",
]
SENTENCES = [
    "{P} a reçu {d} à {l} son homologue {q} pour évoquer la situation économique et les relations avec {o}.",
    "Selon un communiqué publié {d} soir, {o} prévoit d'investir {n} millions d'euros d'ici {y}.",
    "« Nous devons agir vite et ensemble », a déclaré {p} devant la presse à {l}.",
    "Le porte-parole de {o} a indiqué que les discussions reprendraient {d} prochain à {l}.",
    "{P} a rappelé que {n} % des ménages disaient avoir du mal à payer leurs factures d'énergie.",
    "Les syndicats ont appelé à manifester {d} à {l}, où {n} personnes étaient attendues selon la préfecture.",
    "Interrogé par la radio publique, {p} a estimé que {o} devait revoir sa copie avant l'été.",
    "Dans la soirée, {q} a répondu sur les réseaux sociaux en dénonçant une décision « précipitée ».",
    "Le texte doit être examiné par {o} à partir du {k} {m}, a précisé l'entourage de {p}.",
    "À {l}, les commerçants interrogés se disaient inquiets de la hausse des prix, en recul de {n} % depuis {y}.",
    "{P} doit ensuite se rendre à {l} pour rencontrer les représentants de {o}.",
    "Les chiffres publiés par {o} montrent une croissance de {r} % au troisième trimestre.",
    "L'opposition reproche à {p} de ne pas avoir consulté {o} avant d'annoncer la réforme.",
    "Un accord a finalement été trouvé dans la nuit de {d} à {e} entre {p} et {q}, selon plusieurs sources.",
    "La rencontre entre {p} et {q} à {l} était prévue de longue date, a souligné {o}.",
    "Les négociations menées à {l} sous l'égide de {o} ont duré plus de {n} heures.",
    "{P} a annoncé {d} le déblocage d'une aide de {n} millions d'euros pour les agriculteurs de la région de {l}.",
    "D'après les services de {o}, près de {n} dossiers restaient en attente à la fin du mois de {m}.",
    "Le ministre a assuré que le calendrier serait tenu malgré les critiques de {q}.",
    "Cette décision intervient alors que {o} a revu à la baisse ses prévisions de croissance pour {y}.",
]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "septembre", "octobre", "novembre"]


def _fill(template: str, rng: random.Random) -> str:
    p, q = rng.sample(PEOPLE, 2)
    d, e = rng.sample(DAYS, 2)
    slots = {
        "p": p,
        "P": p,
        "q": q,
        "l": rng.choice(PLACES),
        "o": rng.choice(ORGS),
        "d": d,
        "e": e,
        "n": rng.randint(2, 950),
        "r": f"{rng.uniform(0.1, 4.9):.1f}".replace(".", ","),
        "k": rng.randint(1, 28),
        "m": rng.choice(MONTHS),
        "y": rng.randint(2019, 2030),
    }
    text = template.format(**slots)
    return text[0].upper() + text[1:]


def stories(count: int, seed: int = 1) -> Iterator[tuple[str, str, str]]:
    """``count`` stories as (id, headline, text with one paragraph of two to four sentences a line)."""
    rng = random.Random(seed)
    for n in range(count):
        sentences = [_fill(rng.choice(SENTENCES), rng) for _ in range(rng.randint(10, 16))]
        cuts = sorted(rng.sample(range(1, len(sentences)), len(sentences) // 3))
        paragraphs = [" ".join(sentences[a:b]) for a, b in zip([0, *cuts], [*cuts, len(sentences)], strict=True)]
        yield f"fr-{seed}-{n}", _fill(rng.choice(HEADLINES), rng), "\n\n".join(paragraphs)
