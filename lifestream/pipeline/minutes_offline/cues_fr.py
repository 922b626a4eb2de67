"""French: the words of commitments, requests, proposals, assent and deferral, and the summary's phrasing.

Tasks are infinitive phrases ("réserver la salle", "s'occuper des billets"), as French minutes list
actions and as "X va …" continues them. After "je vais", "je dois", "tu peux…?" the phrase is as said; a
promise in the future or present tense ("je réserverai la salle", "je t'envoie le programme") is taken
back to its infinitive by ``grammar.fr_infinitive_phrase``.
"""

from __future__ import annotations

import re

from stop_words import get_stop_words

from lifestream.pipeline.grammar import Retelling, fr_infinitive_phrase
from lifestream.pipeline.minutes_offline.cues import Cues, Phrasing


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


_WILL = _any(r"je vais", r"je dois", r"je m'occupe de", r"je me charge de", r"je m'engage à", r"je compte",
             r"il faut que je", r"je vais m'occuper de", r"je veux", r"j'essaierai de", r"moi je vais")
_TEAM = _any(r"il faut", r"il faudra", r"il faudrait", r"on doit", r"nous devons", r"on devra", r"on va devoir",
             r"nous allons devoir", r"quelqu'un doit", r"on a besoin de", r"n'oublions pas de")
# Present-tense verbs that state, not promise.
_STATE = ("pense crois sais suis ai trouve vois comprends espère sens suppose connais dis veux voudrais "
          "travaille habite appelle aime peux dois vais ne propose suggère recommande préfère rappelle "
          "demande regrette").split()

_STOP = frozenset(get_stop_words("fr")) | frozenset("""
oui non ok okay bon bien alors donc voilà enfin merci bonjour salut euh ben ouais aussi très déjà encore peut-être
toujours jamais aujourd'hui demain hier maintenant quelque chose rien tout tous beaucoup plus moins dernier
dernière prochain prochaine semaine semaines mois année années an jour jours heure heures minute minutes lundi
mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin juillet août septembre
octobre novembre décembre question idée chose choses temps fois gens équipe sujet point parfait super génial
faire fais fait dire dis dit voir aller vais va allons avoir ai avons être suis sommes pouvoir peux peut
pouvons devoir dois doit devons pense crois c'est il y a qu'il qu'on d'accord
""".split())

# "de organiser" -> "d'organiser", "que il" -> "qu'il": what the summary's templates join.
_ELISION = re.compile(r"\b(de|que) (?=[aeiouéèêâîôh])", re.IGNORECASE)
_DAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"

FRENCH = Cues(
    language="fr",
    clause_start=re.compile(r"\b" + _any(_WILL, r"je peux", _TEAM) + r"\b"),
    self_commit=re.compile(r"(?<![\w'])" + _WILL + r"\s+(?:aussi\s+|bien\s+)?(?P<task>(?!pas\b|jamais\b|dire\b|"
                           r"être honnête\b).+)"),
    self_offer=re.compile(r"(?<![\w'])(?:moi\s+)?je peux\s+(?:aussi\s+)?(?P<task>(?!pas\b|jamais\b|dire\b|"
                          r"imaginer\b|voir\b|comprendre\b).+)"),
    request=re.compile(
        r"(?:^|[,.;:]\s*|\b(?:et|alors|donc|aussi|ok|maintenant)\s+)(?:[\w-]+,\s+)?"
        + _any(r"est-ce que tu peux", r"est-ce que tu pourrais", r"est-ce que vous pouvez",
               r"est-ce que vous pourriez", r"tu peux", r"tu pourrais", r"peux-tu", r"pourrais-tu",
               r"vous pouvez", r"vous pourriez", r"pouvez-vous", r"pourriez-vous", r"s'il te plaît",
               r"s'il vous plaît", r"merci de", r"j'aimerais que tu", r"tu dois", r"il faudrait que tu")
        + r"\s+(?:s'il te plaît\s+|aussi\s+|bien\s+)?(?P<task>.+)"),
    team_task=re.compile(r"(?<![\w'])" + _TEAM + r"\s+(?:aussi\s+|encore\s+|absolument\s+)?(?P<task>.+)"),
    assignment=re.compile(
        r"(?:^|\b(?:et|alors|donc)\s+|,\s+)(?P<name>[A-ZÀÂÉÈÊÎÔÛÇ][a-zàâçéèêëîïôûùüÿœ]+"
        r"(?:\s+[A-ZÀÂÉÈÊÎÔÛÇ][a-zàâçéèêëîïôûùüÿœ]+)?)\s+"
        + _any(r"peut", r"va", r"s'occupe de", r"se charge de", r"doit") + r"\s+(?P<task>[a-zàâçéèêëîïôûùüÿœ].+)"),
    not_a_task=re.compile(r"^(?:être|dire|avouer|voir|savoir|comprendre|imaginer|commencer|résumer|répéter|"
                          r"expliquer|vous dire|te dire)\b"),
    state_verbs=frozenset("savoir croire penser comprendre voir entendre rappeler sentir dire vouloir imaginer "
                          "supposer sembler aimer".split()),
    meeting_verbs=re.compile(r"^(?:décider|discuter|parler|aborder|revoir ce|voir ce|convenir|se réunir|"
                             r"réfléchir)\b"),
    light_verbs=frozenset("faire occuper charger gérer prendre".split()),
    decided=re.compile(
        r"(?:\b(?:on a|nous avons|on avait|nous avions)\s+(?:déjà\s+|donc\s+|bien\s+)?(?:décidé|convenu|choisi|"
        r"retenu)(?:\s+(?P<link>que|de|d'))?\s*(?P<core1>.+)"
        r"|\bc'est\s+(?:donc\s+)?(?:décidé|acté|validé)(?:\s+(?:alors|donc))?[,:]?\s+(?:on\s+)?(?P<core2>.+)"
        r"|\bla\s+décision\s+est(?:\s+(?P<link3>que|de|d'))?\s*(?P<core3>.+))"),
    proposal=re.compile(
        r"(?:\bet si (?:on|nous)\s+(?P<p1>.+)"
        r"|\bque diriez-vous de\s+(?P<p2>.+)"
        r"|\bpourquoi (?:ne pas|pas)\s+(?P<p3>.+)"
        r"|\b(?:est-ce qu'on|est-ce que nous|on)\s+(?:pourrait|devrait|peut)\s+(?:peut-être\s+|aussi\s+)?(?P<p4>.+\?)"
        r"|\bje (?:propose|suggère|recommande)(?:\s+(?:qu'on|que nous|de|d'))?\s*(?P<p5>.+)"
        r"|\bje préférerais\s+(?:qu'on\s+)?(?P<p6>.+)"
        r"|\b(?:on|nous)\s+(?:pourrait|pourrions)\s+(?:peut-être\s+|aussi\s+)?(?P<p8>(?!être\b|avoir\b).+)"
        r"|^(?:\w+[,.]\s+)*(?:alors|donc)\s+on\s+(?P<p10>(?!ne\b|n'|peut\b|doit\b|a\b|est\b|va voir\b)\w+.+)"
        r"|\ballons(?:-y)?\s+(?P<p9>(?!voir\b).+)"
        r"|\bon devrait\s+(?P<p15>.+))"),
    steering=re.compile(r"^(?:commencer|passer|continuer|résumer|revoir|parler de|voir|aborder)\b"),
    plans_ahead=re.compile(r"\b(?:chaque|une fois|deux fois|toutes les semaines|tous les mois|désormais|"
                           r"à partir de maintenant|la semaine prochaine|le mois prochain)\b"),
    assent=re.compile(
        r"(?:^|(?<![\w']))(?:oui|d'accord|je suis d'accord|bonne idée|très bonne idée|excellente idée|ça marche|"
        r"ça me va|parfait|entendu|bien sûr|volontiers|pas de problème|aucun problème|tout à fait|absolument|"
        r"exactement|c'est une bonne idée|allons-y|va pour|ok pour moi|je suis pour|avec plaisir|je m'en occupe|"
        r"c'est noté|ça me convient)\b"),
    weak_assent=re.compile(r"^(?:ok|okay|bon|bien|très bien|merci|merci beaucoup|super|génial|parfait|d'accord)\b"),
    objection=re.compile(
        r"(?:^non\b|\bpas vraiment\b|\bje ne suis pas d'accord\b|\bpas d'accord\b|\bmauvaise idée\b|"
        r"\bje ne pense pas\b|\bje ne crois pas\b|\bon ne peut pas\b|\bje ne peux pas\b|\bplutôt pas\b|^mais\b|"
        r"\battends\b)"),
    deferral=re.compile(
        r"(?:\bje ne (?:le )?sais pas\b|\bje (?:le )?sais pas\b|\baucune idée\b|\bbonne question\b|\bpas encore\b|"
        r"\bje ne suis pas sûr\b|\bpas sûr\b|\bça dépend\b|\bon verra\b|\bon en reparlera\b|\bplus tard\b|"
        r"\bune autre fois\b|\bil faut que je (?:vérifie|demande|regarde)\b|\bje dois (?:vérifier|demander)\b|"
        r"\bpersonne ne sait\b|\bpas clair\b|\bà voir\b|\bà décider\b|\breste ouvert\b)"),
    rhetorical=re.compile(
        r"(?:,\s*(?:non|hein|n'est-ce pas|d'accord|oui|vrai)\s*\?$|^(?:non|oui|ok|bonjour|allô)\s*\?$|"
        r"\bcomment (?:ça va|vas-tu|allez-vous)\b|\b(?:vous|tu) m'entend(?:ez|s)\b|\btout le monde est là\b|"
        r"\bpourquoi pas\s*\?$)"),
    number=re.compile(r"\b(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|"
                      r"quarante|cinquante|cent|cents|mille|million|millions|pour cent|moitié|douzaine)\b"),
    who_question=re.compile(r"^(?:\w+[,.]\s+)*(?:et\s+|alors\s+)?qui\s+(?:va\s+|peut\s+)?"
                            r"(?P<task>(?!est\b|sait\b|a\b)\w+.+?)\s*\?$"),
    purpose_topic=re.compile(
        r"(?:\bcette\s+réunion\s+(?:porte sur|concerne|est consacrée à)\s+(?P<t1>.+)"
        r"|\bl'objet\s+de\s+(?:cette|la)\s+réunion\s+est\s+(?:de\s+(?P<a3>.+)|(?P<t3>.+))"
        r"|\b(?:l'ordre du jour|le sujet du jour|le sujet)(?:\s+d'aujourd'hui)?\s+(?:c'est|est)\s+(?P<t2>.+)"
        r"|\baujourd'hui\s*,?\s+(?:nous|on)\s+(?:préparons|prépare|organisons|organise|planifions|planifie|"
        r"parlons|parle|discutons|discute)\s+(?:de\s+)?(?P<t4>.+)"
        r"|\baujourd'hui\s*,?\s+(?:nous allons|on va)\s+parler\s+(?:de|du|des)\s+(?P<t5>.+))"),
    purpose_action=re.compile(
        r"(?:\baujourd'hui\s*,?\s+(?:nous allons|on va|nous devons|on doit|il faut)\s+(?P<a1>(?!parler\b)\w+er\b.+)"
        r"|\bnous sommes (?:là|ici)\s+(?:aujourd'hui\s+)?pour\s+(?P<a2>.+)"
        r"|\bon se réunit\s+(?:aujourd'hui\s+)?pour\s+(?P<a4>.+)"
        r"|\bl'objectif(?: d'aujourd'hui| de cette réunion)? est de\s+(?P<a5>.+))"),
    title_stop=re.compile(
        r"(?:,|;|\s+(?:qui|que|qu'|parce|quand|où|si|avant|après|pour que|et décider)\s"
        r"|\s+(?:le|d'ici|avant|pour)\s+(?:\d|" + _DAYS + r"|la fin|prochain|mois)"
        r"|\s+(?:en|de)\s+(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
        r"décembre)\b|\s+(?:aujourd'hui|demain|cette semaine|la semaine prochaine)\b)"),
    title_small_words=frozenset("le la les un une et ou de du des pour avec en à au aux par sur".split()),
    stopwords=_STOP,
    anaphora=frozenset("ça cela ceci le la les en y".split()),
    person_pronouns=frozenset("lui leur elle eux elles".split()),
    lead_in=re.compile(r"^(?:(?:et|alors|donc|bon|bien|oui|d'accord|ok|okay|parfait|super|merci|aussi|maintenant|"
                       r"très bien|voilà|ben|euh)[,.!]?\s+)+"),
    speaker_ref=re.compile(r"(?!x)x"),  # pronouns are retold by ``retell`` (grammar.fr_retell)
    listener_ref=re.compile(r"(?!x)x"),
    own_ref=re.compile(r"(?!x)x"),
    due_ready=re.compile(r"^(?:d'ici|avant|pour|le|la|aujourd'hui|demain|ce|cette|la semaine|fin|au plus tard)\b",
                         re.IGNORECASE),
    clause_cut=re.compile(r",?\s+(?:pour que|parce que|puisque|comme ça|ce qui|si on arrive|si j'arrive)\b.*$"
                          r"|,\s+(?:(?:c'|ça|il|elle)\s*(?:est|était|a été)|c'est)\b.*$"
                          r"|,\s+mais\b.*$"
                          r"|[,;:]\s*(?:et|mais|donc|alors)?\s*$", re.IGNORECASE),
    subordinate_end=re.compile(r"(?:\bpour que|\bsi|\bparce que|\bquand|\bque|\bqu'|\bjusqu'à ce que|"
                               r"\bavant que|\baprès que)\s*$"),
    also=re.compile(r"\b(?:aussi|également|en plus)\b"),
    object_end=re.compile(r",|\s+(?:avec|pour|avant|après|jusqu'à|parce|d'ici)\s"),
    determined=re.compile(r"(?:\b(?:le|la|les|notre|nos|ce|cette|ces)\s+|\bl')((?:[\w'-]+\s+){0,3}[\w'-]+)",
                          re.IGNORECASE),
    function_words=frozenset("pour de du des en à au avec par et ou mais que qui si quand est sont était sera "
                             "on nous faut va".split()),
    article=None,
    a_thing=re.compile(r"(?:le|la|les|l'|un|une|des|\d+|deux|trois|quatre|cinq|dix|vingt|cent)\s?", re.IGNORECASE),
    counted=re.compile(r"\b(?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|vingt|trente|cinquante|cent)"
                       r"\s+(?:[\wàâçéèêëîïôûùüÿœ]+\s+){0,2}[\wàâçéèêëîïôûùüÿœ]+[sx]\b", re.IGNORECASE),
    subject=re.compile(r"^(?:(?:et|alors|donc)\s+)?(?:on|nous|vous|ils|elles|je|tu)\s+", re.IGNORECASE),
    base_form=lambda text: fr_infinitive_phrase(text),
    determiner=re.compile(r"^(?:le|la|les|notre|nos|un|une)\s+|^l'", re.IGNORECASE),
    # "notre équipe" stays (the article would need the noun's gender); "(parlons) du budget" -> "le budget".
    own=re.compile(r"^(?:du|des)\b", re.IGNORECASE),
    own_as=lambda m: {"du": "le", "des": "les"}[m.group(0).lower()],
    self_reference=re.compile(r",?\s+(?:et|mais)\s+(?:on|nous|je)\b.*$", re.IGNORECASE),
    particles=frozenset({"de", "du", "des", "sur"}),
    should_be=re.compile(r"\s(?:doit|devrait)\s+être\s"),
    noun_first=re.compile(r"^(?:le|la|les|l'|un|une|notre|ce|cette)\b", re.IGNORECASE),
    or_=re.compile(r",?\s+ou\s+"),
    good_question=re.compile(r"\bbonne question\b"),
    capitalises_nouns=False,
    title_style="sentence",
    self_inflected=re.compile(
        r"(?:^|[,;]\s*|\b(?:et|alors|donc|oui|bon|ok|d'accord)[,]?\s+)(?:moi,?\s+)?(?:je|j')\s*"
        r"(?P<task>(?:(?:te|t'|vous|lui|leur|le|la|les|l'|en|y|m'|me)\s*)*"
        r"(?:[a-zàâçéèêëîïôûùüÿœ]+rai|(?!" + "|".join(_STATE) + r"\b)[a-zàâçéèêëîïôûùüÿœ]+e)\b.*)"),
    inflected_task=lambda m, original: fr_infinitive_phrase(original[m.start("task"):m.end("task")].rstrip(" .!?")),
    as_infinitive=fr_infinitive_phrase,
    decided_infinitive=lambda text: ("d'" if text[:1].lower() in "aeiouéèêhâîôy" else "de ") + text,
    retell=Retelling("fr"),
    phrasing=Phrasing(
        purpose_topic="La réunion portait sur {}.",
        own="son",
        by="d'ici {}",
        by_end="d'ici la {}",
        purpose_action="La réunion avait pour but de {}.",
        topics="La discussion a surtout porté sur {}.",
        part_topics="Cette partie a porté sur {}.",
        decided="Il a été décidé {}.",
        decided_to="{}",
        decided_that="que {}",
        decided_on="de retenir {}",
        will="{} va {}.",
        team="L'équipe",
        unassigned="Reste à attribuer : {}.",
        more_actions="{} autres actions figurent ci-dessous.",
        still_open="Reste en suspens : {}",
        nothing_settled="Rien n'a été décidé ni attribué.",
        and_="et",
        finish=lambda text: _ELISION.sub(lambda m: m.group(1)[:-1] + "'", text),
    ),
)
