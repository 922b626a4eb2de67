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
    # (owner voice or "team", words the task must contain, due date) per action item, in spoken order
    actions: list[tuple[str, set[str], str | None]]
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
        voices={"A": ("es+m3", 35), "B": ("es+f4", 70)},
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
        voices={"A": ("fr+m2", 40), "B": ("fr+f2", 60)},
    ),
}

ITALIAN_VOICES = {"A": ("it+m3", 35), "B": ("it+m1", 80)}
ITALIAN = [
    ("A", "Buongiorno a tutti. Oggi organizziamo la festa di fine anno della squadra."),
    ("B", "Facciamo la festa in ufficio o prenotiamo un ristorante?"),
    ("A", "Propongo di fare la festa in ufficio, costa meno."),
    ("B", "Buona idea, d'accordo. Mando gli inviti entro venerdì."),
]

# A second meeting per language, three people, written after the rules had been tuned on the first: what they
# found on it unchanged, but for three wordings fixed in general ("sich für das Release … verschieben zu
# entscheiden", "portait sur déménagement", "se decidió centrarnos").
SECOND = {
    "de": LanguageMeeting(
        "de",
        [
            ("A", "Hallo zusammen. In diesem Termin geht es um das Release der neuen App."),
            ("B", "Die Tests laufen, aber der Login ist auf alten Handys noch langsam."),
            ("A", "Markus, kannst du den Login bis Mittwoch reparieren?"),
            ("B", "Ja, das übernehme ich."),
            ("C", "Sollen wir das Release auf nächste Woche verschieben?"),
            ("A", "Ja, lass uns das Release auf den 10. Dezember verschieben."),
            ("B", "Einverstanden."),
            ("C", "Ich werde die Kunden morgen informieren."),
            ("A", "Haben wir schon ein Budget für die Werbung?"),
            ("C", "Das weiß ich noch nicht, das muss ich mit der Buchhaltung klären."),
        ],
        actions=[
            ("B", {"login", "reparieren"}, "2026-12-02"),
            ("C", {"kunden", "informieren"}, "2026-12-02"),
            ("C", {"buchhaltung", "klären"}, None),
        ],
        decision={"release", "dezember", "verschieben"},
        open_question={"budget", "werbung"},
        phrasing={"es wurde beschlossen, das release auf den 10. dezember zu verschieben", "wird", "noch offen"},
        # Spoken, its first 30 s read as English to Whisper base (0.34, German 0.27).
        voices={"A": ("de+m3", 35), "B": ("de+m1", 80), "C": ("de+f4", 70)},
    ),
    "es": LanguageMeeting(
        "es",
        [
            ("A", "Hola a todos. El tema de hoy es la campaña de primavera."),
            ("B", "Tenemos que decidir si hacemos anuncios en la radio o en redes sociales."),
            ("A", "Yo propongo que nos centremos en las redes sociales, llegan a más gente."),
            ("C", "Estoy de acuerdo, es más barato también."),
            ("A", "Laura, ¿puedes preparar los textos para el lunes?"),
            ("B", "Sí, los preparo yo."),
            ("C", "Yo me encargo de hablar con la agencia esta semana."),
            ("A", "¿Cuánto presupuesto nos queda para el segundo trimestre?"),
            ("B", "No lo sé, hay que preguntarle a finanzas."),
        ],
        actions=[
            ("B", {"preparar", "textos"}, "2026-12-07"),
            ("C", {"hablar", "agencia"}, "2026-12-04"),
            ("team", {"preguntarle", "finanzas"}, None),
        ],
        decision={"redes", "sociales"},
        open_question={"presupuesto", "trimestre"},
        phrasing={"se decidió centrarse en las redes sociales", "va a", "pendiente"},
        voices={},
    ),
    "fr": LanguageMeeting(
        "fr",
        [
            ("A", "Bonjour. Aujourd'hui on parle du déménagement des bureaux."),
            ("B", "Le nouveau bâtiment sera prêt à la fin du mois."),
            ("A", "Est-ce qu'on déménage en une seule fois ou en deux étapes?"),
            ("C", "Je propose qu'on déménage en une seule fois, un samedi."),
            ("B", "D'accord, c'est plus simple."),
            ("A", "Sophie, tu peux réserver le camion pour le 12 décembre?"),
            ("C", "Oui, bien sûr, je réserve le camion."),
            ("B", "Je vais prévenir tout le monde par e-mail demain."),
            ("A", "Qui s'occupe des plantes?"),
        ],
        actions=[("C", {"réserver", "camion"}, "2026-12-12"), ("B", {"prévenir", "monde"}, "2026-12-02")],
        decision={"déménager", "seule", "fois"},
        open_question={"plantes"},
        phrasing={"la réunion portait sur le déménagement des bureaux", "il a été décidé de déménager", "suspens"},
        voices={},
    ),
}
