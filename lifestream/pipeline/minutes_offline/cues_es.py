"""Spanish: the words of commitments, requests, proposals, assent and deferral, and the summary's phrasing.

Tasks are infinitive phrases ("enviar las invitaciones"), as a Spanish to-do list writes them and as
"X va a …" continues them. After "voy a", "tengo que", "¿puedes…?" the phrase is as said; a promise in
the future or present tense ("enviaré las invitaciones", "yo reservo la sala", "te mando las notas") is
taken back to its infinitive by ``grammar.es_infinitive_phrase``.
"""

from __future__ import annotations

import re

from stop_words import get_stop_words

from lifestream.pipeline.grammar import Retelling, es_infinitive_phrase
from lifestream.pipeline.minutes_offline.cues import Cues, Phrasing


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


_WILL = _any(r"voy a", r"tengo que", r"debo", r"me encargo de", r"me ocupo de", r"yo me encargo de",
             r"me comprometo a", r"intentaré", r"quiero", r"pienso")
_TEAM = _any(r"tenemos que", r"hay que", r"debemos", r"deberíamos", r"necesitamos", r"hace falta",
             r"alguien tiene que", r"alguien debe", r"tendremos que", r"habrá que")
# Present-tense verbs that state, not promise.
_STATE = ("creo pienso sé estoy soy tengo quiero digo veo oigo entiendo espero necesito siento supongo "
          "conozco opino recuerdo trabajo vivo llamo prefiero propongo sugiero recomiendo pregunto dudo").split()

_STOP = frozenset(get_stop_words("es")) | frozenset("""
sí no vale bueno bien pues entonces claro vale ok okay gracias hola vale también solo muy ya todavía aún quizás
tal vez luego ahora hoy mañana ayer siempre algo nada todo mucho muchos poco más menos último última próximo
próxima semana semanas mes meses año años día días hora horas minuto minutos lunes martes miércoles jueves
viernes sábado domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
pregunta idea cosa cosas tiempo vez gente equipo tema punto perfecto genial hacer hago hace hecho decir digo
dice dicho ver ir voy va vamos tener tengo tiene tenemos poder puedo puede podemos deber debo debemos creo
""".split())

_DAYS = r"(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)"

SPANISH = Cues(
    language="es",
    clause_start=re.compile(r"\b" + _any(_WILL, r"puedo", _TEAM) + r"\b"),
    self_commit=re.compile(r"\b" + _WILL + r"\s+(?:también\s+|yo\s+)?(?P<task>(?!no\b|nunca\b|decir\b|ser\b).+)"),
    self_offer=re.compile(r"\b(?:yo\s+)?puedo\s+(?:también\s+)?(?P<task>(?!no\b|nunca\b|decir\b|imaginar\b|ver\b|"
                          r"entender\b).+)"),
    request=re.compile(
        r"(?:^|[,.;:¿]\s*|\b(?:y|entonces|también|vale|ahora)\s+)(?:\w+,\s+)?¿?"
        + _any(r"puedes", r"podrías", r"puede usted", r"podría usted", r"pueden", r"podrían", r"te importaría",
               r"le importaría", r"por favor", r"necesito que", r"tienes que", r"te encargas de", r"te ocupas de")
        + r"\s+(?:por favor\s+|también\s+)?(?P<task>.+)"),
    team_task=re.compile(r"\b" + _TEAM + r"\s+(?:también\s+|todavía\s+)?(?P<task>.+)"),
    assignment=re.compile(
        r"(?:^|\b(?:y|entonces)\s+|,\s+)(?P<name>[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+(?:\s+[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+)?)\s+"
        + _any(r"puede", r"va a", r"se encarga de", r"se ocupa de", r"hará") + r"\s+(?P<task>[a-záéíóúñ].+)"),
    not_a_task=re.compile(r"^(?:ser sincero|decir|admitir|ver|saber|entender|imaginar|empezar|comenzar|resumir|"
                          r"repetir|explicar)\b"),
    state_verbs=frozenset("saber creer pensar entender ver oír recordar sentir decir querer imaginar suponer "
                          "parecer".split()),
    meeting_verbs=re.compile(r"^(?:decidir|hablar|discutir|comentar|revisar qué|ver qué|acordar|reunirnos|"
                             r"pensar)\b"),
    light_verbs=frozenset("hacer encargarme encargarse ocuparme ocuparse llevar".split()),
    decided=re.compile(
        r"(?:\b(?:hemos|habíamos)\s+(?:ya\s+)?(?:decidido|acordado)(?:\s+(?P<link>que))?\s+(?P<core1>.+)"
        r"|\b(?:decidimos|acordamos|quedamos en)(?:\s+(?P<link2>que))?\s+(?P<core4>.+)"
        r"|\b(?:está|queda)\s+(?:decidido|acordado)(?:,)?(?:\s+que)?[,:]?\s+(?P<core2>.+)"
        r"|\bla\s+decisión\s+es(?:\s+(?P<link3>que))?\s+(?P<core3>.+))"),
    proposal=re.compile(
        r"(?:\b¿?y si\s+(?P<p1>.+)"
        r"|\b¿?qué tal si\s+(?P<p2>.+)"
        r"|\b¿?por qué no\s+(?P<p3>.+)"
        r"|\b¿?(?:deberíamos|podemos|podríamos)\s+(?:quizás\s+|también\s+)?(?P<p4>.+\?)"
        r"|\b(?:propongo|sugiero|recomiendo)(?:\s+que)?\s+(?P<p5>.+)"
        r"|\bprefiero\s+(?P<p6>.+)"
        r"|\bpodríamos\s+(?:también\s+|quizás\s+)?(?P<p8>(?!ser\b|tener\b).+)"
        r"|^(?:\w+[,.]\s+)*(?:entonces|pues)\s+(?P<p10>(?!no\b)\w+mos\b.+)"
        r"|\bvamos a\s+(?P<p9>(?!ver\b|empezar\b|comenzar\b|hablar\b).+)"
        r"|\bdeberíamos\s+(?P<p15>.+))"),
    steering=re.compile(r"^(?:empezar|comenzar|seguir|pasar|continuar|resumir|revisar|hablar de|ver)\b"),
    plans_ahead=re.compile(r"\b(?:cada|una vez|dos veces|semanalmente|mensualmente|a partir de ahora|"
                           r"la semana que viene|el mes que viene)\b"),
    assent=re.compile(
        r"(?:^|\b)(?:sí|vale|de acuerdo|estoy de acuerdo|buena idea|me parece bien|me parece (?:buena|una buena) idea|"
        r"perfecto|claro|por supuesto|genial|me gusta|sin problema|ningún problema|adelante|hecho|trato hecho|"
        r"eso es|exacto|totalmente|desde luego|cuenta conmigo|me apunto|lo hago|de una)\b"),
    weak_assent=re.compile(r"^(?:vale|bien|bueno|muy bien|gracias|muchas gracias|perfecto|estupendo|ok|okay)\b"),
    objection=re.compile(
        r"(?:^no\b(?! hay problema| te preocupes)|\bno estoy de acuerdo\b|\bno creo\b|\bmala idea\b|\bno me parece\b|"
        r"\bno podemos\b|\bno puedo\b|\bmejor no\b|^pero\b|\bespera\b)"),
    deferral=re.compile(
        r"(?:\bno (?:lo )?sé\b|\bni idea\b|\bbuena pregunta\b|\btodavía no\b|\baún no\b|\bno estoy segur[oa]\b|"
        r"\bdepende\b|\bya veremos\b|\blo vemos (?:otro día|más adelante|luego)\b|\bmás adelante\b|"
        r"\btengo que (?:comprobarlo|preguntar|mirarlo|confirmarlo|consultarlo)\b|\bhay que (?:ver|confirmarlo)\b|"
        r"\bnadie (?:lo )?sabe\b|\bno está claro\b|\bpendiente\b|\bsin decidir\b|\bpor decidir\b)"),
    rhetorical=re.compile(
        r"(?:,\s*¿?(?:verdad|no|vale|cierto|sí)\?$|^¿?(?:no|sí|vale|hola)\?$|\bcómo (?:estás|están|va todo)\b|"
        r"\bme (?:oyes|oís|oyen)\b|\bestamos todos\b|\bpor qué no\?$)"),
    number=re.compile(r"\b(?:uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|"
                      r"treinta|cuarenta|cincuenta|cien|ciento|mil|millón|millones|por ciento|mitad|docena)\b"),
    who_question=re.compile(r"^(?:\w+[,.]\s+)*(?:y\s+)?¿?quién\s+(?:va a\s+|puede\s+)?"
                            r"(?P<task>(?!es\b|sabe\b|tiene\b|está\b)\w+.+)\?$"),
    purpose_topic=re.compile(
        r"(?:\b(?:esta|la)\s+reunión\s+es\s+(?:sobre|para hablar de)\s+(?P<t1>.+)"
        r"|\bel\s+(?:tema|objetivo|orden del día)\s+(?:de hoy|de esta reunión|de la reunión)\s+es\s+"
        r"(?:(?P<a3>[a-záéíóúñ]+(?:ar|er|ir)\b.+)|(?P<t3>.+))"
        r"|\bhoy\s+(?:vamos a|tenemos que|queremos)\s+hablar\s+(?:de|sobre)\s+(?P<t4>.+))"),
    purpose_action=re.compile(
        r"(?:\bhoy\s+(?:vamos a|tenemos que|queremos|necesitamos)\s+(?P<a1>(?!hablar\b)[a-záéíóúñ]+(?:ar|er|ir)\b.+)"
        r"|\bnos\s+reunimos\s+(?:hoy\s+)?para\s+(?P<a2>.+)"
        r"|\bestamos aquí\s+(?:hoy\s+)?para\s+(?P<a4>.+)"
        r"|\bel objetivo(?: de hoy)? es\s+(?P<a5>[a-záéíóúñ]+(?:ar|er|ir)\b.+))"),
    title_stop=re.compile(
        r"(?:,|;|\s+(?:que|porque|cuando|donde|si|aunque|antes de|después de|y decidir)\s"
        r"|\s+(?:el|para el|antes del|del)\s+(?:\d|" + _DAYS + r"|próximo|mes)"
        r"|\s+(?:de|en)\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|"
        r"diciembre)\b|\s+(?:hoy|mañana|esta semana|la semana que viene)\b)"),
    title_small_words=frozenset("el la los las un una y o de del para con en a al por".split()),
    stopwords=_STOP,
    anaphora=frozenset("eso esto ello lo la los las".split()),
    person_pronouns=frozenset("él ella ellos ellas le les".split()),
    lead_in=re.compile(r"^(?:(?:y|pues|entonces|bueno|vale|sí|claro|bien|perfecto|genial|gracias|también|ahora|"
                       r"ok|okay|de acuerdo|muy bien)[,.!]?\s+)+"),
    speaker_ref=re.compile(r"(?!x)x"),  # pronouns are retold by ``retell`` (grammar.es_retell)
    listener_ref=re.compile(r"(?!x)x"),
    own_ref=re.compile(r"(?!x)x"),
    due_ready=re.compile(r"^(?:para|antes|hasta|el|la|hoy|mañana|esta|este|la semana|a finales|a más tardar)\b",
                         re.IGNORECASE),
    clause_cut=re.compile(r",?\s+(?:para que|porque|ya que|así que|que es|lo cual|si conseguimos|si consigo)\b.*$"
                          r"|,\s+(?:(?:eso|esto|él|ella)\s+(?:es|era|fue|está)|es|era)\b.*$"
                          r"|,\s+pero\b.*$"
                          r"|[,;:]\s*(?:y|pero|así que|entonces)?\s*$", re.IGNORECASE),
    subordinate_end=re.compile(r"\b(?:para que|si|porque|cuando|que|hasta que|antes de que|después de que)\s*$"),
    also=re.compile(r"\b(?:también|además)\b"),
    object_end=re.compile(r",|\s+(?:con|para|antes|después|hasta|porque|en el|en la)\s"),
    determined=re.compile(r"\b(?:el|la|los|las|nuestro|nuestra|nuestros|nuestras|este|esta|estos|estas)\s+"
                          r"((?:[\w'-]+\s+){0,3}[\w'-]+)", re.IGNORECASE),
    function_words=frozenset("para de en a con por y o pero que si cuando es son era será vamos hay tenemos "
                             "necesitamos podemos".split()),
    article=None,
    a_thing=re.compile(r"(?:el|la|los|las|un|una|unos|unas|\d+|dos|tres|cuatro|cinco|diez|veinte|cien)\s",
                       re.IGNORECASE),
    counted=re.compile(r"\b(?:\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|veinte|treinta|cincuenta|"
                       r"cien)\s+(?:[\wáéíóúñ]+\s+){0,2}[\wáéíóúñ]+s\b", re.IGNORECASE),
    subject=re.compile(r"^(?:(?:y|entonces|pues)\s+)?(?:nosotros|vosotros|ellos|yo|tú)\s+", re.IGNORECASE),
    base_form=lambda text: es_infinitive_phrase(text),
    determiner=re.compile(r"^(?:el|la|los|las|nuestro|nuestra|nuestros|nuestras|un|una)\s+", re.IGNORECASE),
    own=re.compile(r"\bnuestr[oa]s?\b", re.IGNORECASE),
    own_as=lambda m: {"nuestro": "el", "nuestra": "la", "nuestros": "los", "nuestras": "las"}[m.group(0).lower()],
    self_reference=re.compile(r",?\s+(?:y|pero)\s+(?:tenemos|vamos|debemos|necesitamos|yo|nosotros)\b.*$",
                              re.IGNORECASE),
    particles=frozenset({"de", "sobre"}),
    should_be=re.compile(r"\s(?:debe|debería|tiene que)\s+(?:ser|estar)\s"),
    noun_first=re.compile(r"^(?:el|la|los|las|un|una|nuestro|nuestra|este|esta)\b", re.IGNORECASE),
    or_=re.compile(r",?\s+[ou]\s+"),
    good_question=re.compile(r"\bbuena pregunta\b"),
    capitalises_nouns=False,
    title_style="sentence",
    self_inflected=re.compile(
        r"(?:^|[,;]\s*|\b(?:y|entonces|vale|bien|sí|claro|bueno)[,]?\s+)"
        r"(?P<task>(?:(?:yo\s+)?(?:(?:me|te|se|lo|la|los|las|le|les|nos)\s+)*[a-záéíóúñ]+ré"  # "enviaré", "te lo mandaré"
        r"|yo\s+(?:(?:me|te|se|lo|la|los|las|le|les|nos)\s+)*(?!" + "|".join(_STATE) + r")[a-záéíóúñ]+[^aeiouáéíóú\s]o"
        r"|(?:me|te|se|lo|la|los|las|le|les)\s+(?:(?:lo|la|los|las)\s+)?(?!" + "|".join(_STATE) + r")"
        r"[a-záéíóúñ]+[^aeiouáéíóú\s]o)\b.*)"),
    inflected_task=lambda m, original: es_infinitive_phrase(original[m.start("task"):m.end("task")].rstrip(" .!?")),
    as_infinitive=es_infinitive_phrase,
    retell=Retelling("es"),
    phrasing=Phrasing(
        purpose_topic="La reunión trató sobre {}.",
        own="su",
        by="para {}",
        by_end="para {}",
        purpose_action="La reunión se convocó para {}.",
        topics="Se habló sobre todo de {}.",
        part_topics="Esta parte trató de {}.",
        decided="Se decidió {}.",
        decided_to="{}",
        decided_that="que {}",
        decided_on="optar por {}",
        will="{} va a {}.",
        team="El equipo",
        unassigned="Falta asignar: {}.",
        more_actions="Hay {} tareas más abajo.",
        still_open="Queda pendiente: {}",
        nothing_settled="No se decidió ni se asignó nada.",
        and_="y",
    ),
)
