"""One short planning meeting written in German, Spanish and French (and Italian, which the offline rules do not
read), with what its minutes must say: the same outcomes in each language, so one check covers all three.

Used typed (tests/pipeline/test_minutes_languages.py) and spoken by espeak-ng's voices for the language through
the whole offline pipeline (tests/pipeline/test_languages_spoken.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# A Tuesday: "by Friday" is 4 December, "before the fourteenth of December" the 14th.
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


ENGLISH_PHRASING = {"will", "decided", "still open", "the meeting", "nothing was"}

MEETINGS = {
    "de": LanguageMeeting(
        "de",
        [("A", "Guten Morgen. Heute planen wir die Weihnachtsfeier für das Team."),
         ("B", "Sollen wir im Büro feiern oder ein Restaurant buchen?"),
         ("A", "Ich wäre dafür, dass wir im Büro feiern. Das ist günstiger."),
         ("B", "Gute Idee, einverstanden."),
         ("A", "Kannst du bis Freitag die Einladungen verschicken?"),
         ("B", "Ja, mache ich."),
         ("A", "Ich bestelle das Essen bis zum 14. Dezember."),
         ("B", "Wer kümmert sich um die Musik?")],
        actions=[("B", {"einladungen", "verschicken"}, "2026-12-04"), ("A", {"essen", "bestellen"}, "2026-12-14")],
        decision={"büro", "feiern"},
        open_question={"musik"},
        phrasing={"beschlossen", "wird", "noch offen"},
    ),
    "es": LanguageMeeting(
        "es",
        [("A", "Buenos días. Hoy vamos a planificar la fiesta de fin de año del equipo."),
         ("B", "¿Hacemos la fiesta en la oficina o reservamos un restaurante?"),
         ("A", "Propongo que hagamos la fiesta en la oficina, es más barato."),
         ("B", "Buena idea, de acuerdo."),
         ("A", "¿Puedes enviar las invitaciones para el viernes?"),
         ("B", "Sí, claro, yo me encargo."),
         ("A", "Yo voy a pedir la comida antes del catorce de diciembre."),
         ("B", "¿Quién se ocupa de la música?")],
        actions=[("B", {"enviar", "invitaciones"}, "2026-12-04"), ("A", {"pedir", "comida"}, "2026-12-14")],
        decision={"fiesta", "oficina"},
        open_question={"música"},
        phrasing={"decidió", "va a", "pendiente"},
    ),
    "fr": LanguageMeeting(
        "fr",
        [("A", "Bonjour à tous. Aujourd'hui nous organisons la fête de fin d'année de l'équipe."),
         ("B", "On fait la fête au bureau ou on réserve un restaurant?"),
         ("A", "Je propose qu'on fasse la fête au bureau, c'est moins cher."),
         ("B", "Bonne idée, d'accord."),
         ("A", "Est-ce que tu peux envoyer les invitations d'ici vendredi?"),
         ("B", "Oui, je m'en occupe."),
         ("A", "Je vais commander le repas avant le quatorze décembre."),
         ("B", "Qui s'occupe de la musique?")],
        actions=[("B", {"envoyer", "invitations"}, "2026-12-04"), ("A", {"commander", "repas"}, "2026-12-14")],
        decision={"fête", "bureau"},
        open_question={"musique"},
        phrasing={"décidé", "va", "suspens"},
    ),
}

ITALIAN = [
    ("A", "Buongiorno a tutti. Oggi organizziamo la festa di fine anno della squadra."),
    ("B", "Facciamo la festa in ufficio o prenotiamo un ristorante?"),
    ("A", "Propongo di fare la festa in ufficio, costa meno."),
    ("B", "Buona idea, d'accordo. Mando gli inviti entro venerdì."),
]
