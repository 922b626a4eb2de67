"""One short planning meeting written in German, Spanish and French (and Italian, which the offline rules do not
read), with what its minutes must say: the same outcomes in each language, so one check covers all three.

Used typed (tests/pipeline/test_minutes_languages.py) and spoken by espeak-ng's voices for the language through
the whole offline pipeline (tests/pipeline/test_languages_spoken.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# A Tuesday: "tomorrow" is 2 December, "by Friday" the 4th, "by Monday" the 7th, "before the fourteenth of December"
# the 14th.
REFERENCE = date(2026, 12, 1)


@dataclass(frozen=True)
class LanguageMeeting:
    language: str
    lines: list[tuple[str, str]]
    # (owner voice, words the task must contain, due date) per action item, in spoken order
    actions: list[tuple[str, set[str], str]]
    decision: set[str]  # words of the one decision
    open_question: set[str]  # words of the one open question
    # words the summary must use (its own phrasing, in the language) and English phrasing it must not
    phrasing: set[str]
    # espeak-ng (voice, pitch) of A and B: two voices diarization tells apart that Whisper base recognises
    voices: dict[str, tuple[str, int]]


ENGLISH_PHRASING = {"will", "decided", "still open", "the meeting", "nothing was"}

MEETINGS = {
    "de": LanguageMeeting(
        "de",
        [
            ("A", "Guten Morgen. Heute planen wir die Weihnachtsfeier für das Team."),
            ("B", "Sollen wir im Büro feiern oder ein Restaurant buchen?"),
            ("A", "Ich bin dafür, dass wir im Büro feiern. Das ist günstiger."),
            ("B", "Gute Idee, einverstanden."),
            ("A", "Kannst du bis Montag die Einladungen verschicken?"),
            ("B", "Ja, mache ich."),
            ("A", "Ich bestelle das Essen bis zum 14. Dezember."),
            ("B", "Und wer macht die Musik?"),
        ],
        actions=[("B", {"einladungen", "verschicken"}, "2026-12-07"), ("A", {"essen", "bestellen"}, "2026-12-14")],
        decision={"büro", "feiern"},
        open_question={"musik"},
        phrasing={"beschlossen", "wird", "noch offen"},
        voices={"A": ("de+m3", 35), "B": ("de+m1", 80)},
    ),
    "es": LanguageMeeting(
        "es",
        [
            ("A", "Buenos días. Hoy vamos a planificar la fiesta de fin de año del equipo."),
            ("B", "¿Hacemos la fiesta en la empresa o reservamos un restaurante?"),
            ("A", "Yo prefiero hacer la fiesta en la empresa, es más barato."),
            ("B", "Me parece bien, estoy de acuerdo."),
            ("A", "¿Puedes enviar las invitaciones para el viernes?"),
            ("B", "Sí, claro, yo me encargo."),
            ("A", "Yo voy a comprar la comida antes del catorce de diciembre."),
            ("B", "¿Quién se ocupa de la música?"),
        ],
        actions=[("B", {"enviar", "invitaciones"}, "2026-12-04"), ("A", {"comprar", "comida"}, "2026-12-14")],
        decision={"fiesta", "empresa"},
        open_question={"música"},
        phrasing={"decidió", "va a", "pendiente"},
        voices={"A": ("es+m3", 35), "B": ("es+m1", 80)},
    ),
    "fr": LanguageMeeting(
        "fr",
        [
            ("A", "Bonjour à tous. Aujourd'hui nous préparons la fête de fin d'année de l'équipe."),
            ("B", "On fait la fête au bureau ou dans un restaurant?"),
            ("A", "Je propose qu'on fasse la fête au bureau, c'est moins cher."),
            ("B", "C'est une bonne idée, je suis d'accord."),
            ("A", "Est-ce que tu peux envoyer le programme demain?"),
            ("B", "Oui, je m'en occupe."),
            ("A", "Je commanderai le repas avant le quatorze décembre."),
            ("B", "Qui s'occupe de la musique?"),
        ],
        actions=[("B", {"envoyer", "programme"}, "2026-12-02"), ("A", {"commander", "repas"}, "2026-12-14")],
        decision={"fête", "bureau"},
        open_question={"musique"},
        phrasing={"décidé", "va", "suspens"},
        voices={"A": ("fr+m2", 40), "B": ("fr+m1", 80)},
    ),
}

ITALIAN_VOICES = {"A": ("it+m3", 35), "B": ("it+m1", 80)}
ITALIAN = [
    ("A", "Buongiorno a tutti. Oggi organizziamo la festa di fine anno della squadra."),
    ("B", "Facciamo la festa in ufficio o prenotiamo un ristorante?"),
    ("A", "Propongo di fare la festa in ufficio, costa meno."),
    ("B", "Buona idea, d'accordo. Mando gli inviti entro venerdì."),
]
