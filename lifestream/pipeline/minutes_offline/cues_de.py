"""German: the words of commitments, requests, proposals, assent and deferral, and the summary's phrasing.

Tasks are kept as infinitive phrases with the verb last ("die Einladungen bis Montag verschicken"), as
German to-do lists write them and as "X wird …" continues them. A modal or future ("ich werde…", "ich
muss…", "kannst du…?") leaves that phrase as said; a promise in the present tense ("ich bestelle das Essen
bis Freitag", "das mache ich") is turned round by ``grammar.de_verb_last``.
"""

from __future__ import annotations

import re

from stop_words import get_stop_words

from lifestream.pipeline.grammar import Retelling, de_infinitive_phrase, de_verb_last, de_zu_infinitive
from lifestream.pipeline.minutes_offline.cues import Cues, Phrasing


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


# Modal and future: the infinitive phrase follows as said.
_WILL = _any(r"ich werde", r"ich muss", r"ich möchte", r"ich will", r"ich soll", r"ich würde gern",
             r"werde ich", r"muss ich", r"kann ich", r"will ich", r"ich kümmere mich (?:darum|drum),",
             r"ich übernehme es,", r"ich versuche", r"ich verspreche")
_TEAM = _any(r"wir müssen", r"wir sollten", r"wir brauchen noch", r"wir müssten", r"wir werden (?:noch )?\w+ müssen",
             r"jemand muss", r"jemand sollte", r"man muss", r"man sollte", r"es muss noch", r"wir dürfen nicht vergessen,")

# Present-tense verbs that state, not promise: "ich denke", "ich finde", "ich bin".
_STATE = ("denke glaube finde meine weiß bin habe hoffe sehe höre verstehe fürchte vermute wünsche frage "
          "arbeite wohne komme heiße brauche liebe mag kenne verstehe stimme sage wäre hätte würde könnte möchte schlage empfehle bevorzuge").split()

_STOP = frozenset(get_stop_words("de")) | frozenset("""
ja nein okay ok gut genau also halt eben mal eigentlich einfach schon noch auch nur sehr ganz gerade wirklich
vielleicht natürlich bitte danke hallo tschüss äh ähm hm na so dann denn doch jetzt heute morgen gestern immer
wieder etwas nichts alles viel viele mehr wenig erst letzte letzten nächste nächsten diese dieser diesem dieses
woche wochen monat monate jahr jahre tag tage stunde stunden minute minuten montag dienstag mittwoch donnerstag
freitag samstag sonntag januar februar märz april mai juni juli august september oktober november dezember
frage fragen idee ding dinge sache sachen zeit mal leute team thema punkt prima super klar richtig echt
machen mache macht gemacht sagen sage sagt gesagt sehen gehen geht kommen kommt haben hat hatte sein ist war
werden wird wurde können kann könnte müssen muss sollen soll sollte wollen will möchte würde gibt geben finde
glaube denke weiß meine
""".split())

_DE_OUR = {"unser": "das", "unsere": "die", "unseren": "den", "unserem": "dem", "unserer": "der", "unseres": "des"}

_DAYS = r"(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)"

GERMAN = Cues(
    language="de",
    clause_start=re.compile(r"\b" + _any(_WILL, r"ich kann", _TEAM) + r"\b"),
    self_commit=re.compile(r"\b" + _WILL + r"\s+(?:auch\s+|noch\s+|gern\s+|gerne\s+|dann\s+)*"
                           r"(?P<task>(?!nicht\b|nie\b|sagen\b|ehrlich\b).+)"),
    self_offer=re.compile(r"\bich kann\s+(?:auch\s+|gern\s+|gerne\s+|dann\s+)*"
                          r"(?P<task>(?!nicht\b|nie\b|mir vorstellen\b|sagen\b|verstehen\b).+)"),
    request=re.compile(
        r"(?:^|[,.;:]\s*|\b(?:und|dann|also|okay|ok|jetzt)\s+)(?:\w+,\s+)?"
        + _any(r"kannst du", r"könntest du", r"würdest du", r"kannst du bitte", r"könnten sie", r"können sie",
               r"würden sie", r"könnt ihr", r"könntet ihr", r"magst du", r"bitte", r"du musst", r"du solltest")
        + r"\s+(?:bitte\s+|auch\s+|noch\s+|vielleicht\s+|mal\s+)*(?P<task>.+)"),
    team_task=re.compile(r"\b" + _TEAM + r"\s+(?:auch\s+|noch\s+|unbedingt\s+)*(?P<task>.+)"),
    assignment=re.compile(
        r"(?:^|\b(?:und|dann|also)\s+|,\s+)(?P<name>[A-ZÄÖÜ][a-zäöüß]+(?:\s+[A-ZÄÖÜ][a-zäöüß]+)?)\s+"
        + _any(r"kann", r"wird", r"soll", r"übernimmt es,?") + r"\s+(?P<task>[a-zäöüß].+)"),
    not_a_task=re.compile(r"^(?:davon ausgehen|ehrlich sein|sagen|zugeben|mal sehen|sehen|wissen|verstehen|erklären|zusammenfassen|"
                          r"anfangen|beginnen|kurz|ganz ehrlich|mir vorstellen|wiederholen)\b"),
    state_verbs=frozenset("wissen denken glauben finden meinen verstehen sehen hören hoffen fühlen sagen mögen "
                          "lieben hassen wollen".split()),
    meeting_verbs=re.compile(r"^(?:(?:noch\s+)?(?:entscheiden|besprechen|diskutieren|reden|sprechen|klären,? ob|"
                             r"überlegen|festlegen,? was|treffen))\b"),
    light_verbs=frozenset("machen übernehmen erledigen kümmern tun".split()),
    decided=re.compile(
        r"(?:\bwir\s+haben\s+(?:also\s+|schon\s+|bereits\s+|gemeinsam\s+)?(?:beschlossen|entschieden|vereinbart|"
        r"festgelegt|abgemacht)(?:,)?(?:\s+(?P<link>dass))?\s+(?P<core1>.+)"
        r"|\b(?:es ist|das ist|damit ist es|dann ist es)\s+(?:also\s+)?(?:beschlossen|entschieden|abgemacht)"
        r"(?:,)?(?:\s+dass)?[,:]?\s+(?P<core2>.+)"
        r"|\b(?:die\s+entscheidung|der\s+beschluss)\s+(?:ist|lautet)(?:,)?(?:\s+(?P<link3>dass))?\s+(?P<core3>.+))"),
    proposal=re.compile(
        r"(?:\b(?:sollen|sollten)\s+wir\s+(?:nicht\s+)?(?:vielleicht\s+|lieber\s+|einfach\s+)?(?P<p4>.+\?)"
        r"|\bwie wäre es(?:,)?\s+(?:wenn wir\s+|mit\s+)?(?P<p2>.+)"
        r"|\bwas haltet ihr (?:davon,?\s+)?(?:wenn wir\s+|von\s+)?(?P<p1>.+)"
        r"|\bwarum\s+(?P<p3>\w+\s+wir\s+nicht\s+.+)"
        r"|\b(?:ich\s+)?(?:schlage vor|würde vorschlagen)(?:,)?\s+(?:dass\s+wir\s+|wir\s+)?(?P<p5>.+)"
        r"|\bwir\s+könnten\s+(?:doch\s+|auch\s+|vielleicht\s+|einfach\s+)*(?P<p8>(?!sein\b|haben\b).+)"
        r"|\blass(?:t)?\s+uns\s+(?P<p9>(?!mal sehen\b).+)"
        r"|^(?:\w+[,.]\s+)*(?:dann|also)\s+(?P<p10>\w+\s+wir\s+.+)"
        r"|\bich\s+(?:wäre|bin)\s+dafür(?:,)?\s+(?:dass\s+wir\s+)?(?P<p6>.+)"
        r"|\bich würde\s+(?P<p7>(?!sagen\b|meinen\b|denken\b).+)"
        r"|\bwir sollten\s+(?P<p15>.+))"),
    steering=re.compile(r"^(?:anfangen|beginnen|starten|weitermachen|zum nächsten punkt|kurz|zusammenfassen|"
                        r"besprechen|über \w+ reden|weiter|schluss machen)\b"),
    plans_ahead=re.compile(r"\b(?:jede|jeden|jedes|einmal|zweimal|wöchentlich|monatlich|täglich|ab jetzt|künftig|"
                           r"in zukunft|regelmäßig|nächste woche|nächsten monat)\b"),
    assent=re.compile(
        r"\b(?:ja|jawohl|genau|einverstanden|gute idee|super idee|klingt gut|hört sich gut an|passt|in ordnung|"
        r"gerne|gern|auf jeden fall|stimmt|sehe ich (?:auch )?so|bin dafür|ich bin dabei|machen wir|mache ich|"
        r"klar|natürlich|selbstverständlich|kein problem|das geht|das passt|prima|perfekt|wunderbar|sehr gut|"
        r"abgemacht|gebongt|alles klar|einverstanden|finde ich gut|gefällt mir)\b"),
    weak_assent=re.compile(r"^(?:okay|ok|gut|schön|toll|super|danke|vielen dank|alles klar|prima)\b"),
    objection=re.compile(
        r"(?:^nein\b|\bnicht wirklich\b|\bbin dagegen\b|\bnicht einverstanden\b|\bkeine gute idee\b|"
        r"\bich glaube nicht\b|\bglaube ich nicht\b|\bdas geht nicht\b|\bgeht nicht\b|\bdas schaffe ich nicht\b|"
        r"\bwir können nicht\b|\bich kann nicht\b|\blieber nicht\b|^aber\b|\bmoment\b)"),
    deferral=re.compile(
        r"\b(?:(?:ich )?weiß (?:ich |es )?(?:noch )?nicht|keine ahnung|gute frage|noch nicht|"
        r"(?:ich )?bin (?:mir )?(?:noch )?nicht sicher|kommt darauf an|hängt davon ab|mal sehen|schauen wir mal|"
        r"später|ein andermal|vertagen|nächstes mal|muss ich (?:noch )?(?:nachfragen|prüfen|klären|schauen)|"
        r"müssen wir (?:noch )?(?:klären|sehen|schauen)|muss (?:noch )?geklärt werden|unklar|offen|"
        r"weiß (?:das )?niemand|weiß keiner|noch offen)\b"),
    rhetorical=re.compile(
        r"(?:,\s*(?:oder|nicht|ne|gell|stimmt's|richtig|ja)\?$|^(?:oder|ja|nein|okay|hallo)\?$|"
        r"\bwie geht(?:'s| es (?:dir|euch|ihnen))\b|\bhört ihr mich\b|\bhören sie mich\b|\bsind alle da\b|"
        r"\bwas sonst\b.{0,20}\?$|\bwarum nicht\?$)"),
    number=re.compile(r"\b(?:eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
                      r"vierzig|fünfzig|hundert|tausend|million|prozent|hälfte|dutzend)\w*\b"),
    who_question=re.compile(r"^(?:\w+[,.]\s+)*(?:und\s+|also\s+)?wer\s+(?P<task>(?!ist\b|sind\b|war\b|weiß\b|hat\b)\w+.+)\?$"),
    purpose_topic=re.compile(
        r"(?:\bin\s+(?:diesem|dem|unserem|unserer|der)\s+(?:meeting|termin|besprechung|runde|sitzung)\s+geht es\s+"
        r"(?:um|heute um)\s+(?P<t1>.+)"
        r"|\bheute\s+geht es\s+um\s+(?P<t2>.+)"
        r"|\b(?:das\s+)?thema\s+(?:heute|für heute|dieser besprechung)?\s*ist\s+(?P<t3>.+)"
        r"|\bheute\s+(?:planen|besprechen|organisieren|bereiten|reden|sprechen|diskutieren|klären)\s+wir\s+"
        r"(?:über\s+)?(?P<t4>.+?)(?:\s+vor)?[.!]?$"
        r"|\bwir\s+(?:wollen|müssen|möchten)\s+heute\s+(?:über\s+)?(?P<t5>.+?)\s+"
        r"(?:planen|besprechen|organisieren|vorbereiten|reden|sprechen|diskutieren|klären)\b"
        r"|\bwir\s+(?:treffen uns|sind hier)\s+heute\s*,?\s+um\s+(?P<t6>.+?)\s+zu\s+\w+)"),
    purpose_action=re.compile(r"(?!x)x"),  # German states the purpose as a topic: "heute planen wir die Feier"
    title_stop=re.compile(
        r"(?:,|;|\s+(?:die|der|das|den|weil|wenn|als|damit|bevor|nachdem|bis|obwohl|und entscheiden)\s"
        r"|\s+(?:am|im|bis|ab|vom|zum)\s+(?:\d|" + _DAYS + r"|nächsten|kommenden|ende|januar|februar|märz|april|mai|"
        r"juni|juli|august|september|oktober|november|dezember)|\s+(?:heute|morgen|diese woche|nächste woche)\b)"),
    title_small_words=frozenset("der die das den dem des ein eine und oder für mit von zu im am in an auf".split()),
    stopwords=_STOP,
    anaphora=frozenset("es das dies dieses darum dafür damit davon".split()),
    person_pronouns=frozenset("ihr ihm ihn sie".split()),
    lead_in=re.compile(r"^(?:(?:also|und|dann|ja|genau|gut|okay|ok|klar|gerne|gern|prima|super|schön|danke|na|"
                       r"eigentlich|vielleicht|natürlich|einverstanden|perfekt|auch|noch|jetzt)[,.!]?\s+)+"),
    speaker_ref=re.compile(r"\b(?:mir|mich)\b"),
    listener_ref=re.compile(r"\b(?:dir|dich|ihnen|euch)\b"),
    own_ref=re.compile(r"\bmein(?=e|en|em|er|es|\b)"),
    due_ready=re.compile(r"^(?:bis|vor|am|ab|heute|morgen|übermorgen|diese|nächste|nächsten|spätestens|ende)\b",
                         re.IGNORECASE),
    clause_cut=re.compile(r",?\s+(?:damit|weil|da|denn|sodass|so dass|falls|wenn wir|wenn ich)\b.*$"
                          r"|,\s+(?:das|er|sie|es)\s+(?:war|ist|hat|wäre)\b.*$"
                          r"|,\s+aber\b.*$"
                          r"|[,;:]\s*(?:und|aber|also|dann)?\s*$", re.IGNORECASE),
    subordinate_end=re.compile(r"\b(?:damit|wenn|weil|dass|falls|bevor|nachdem|bis|sobald|ob)\s*$"),
    also=re.compile(r"\b(?:auch|außerdem|zusätzlich|noch dazu)\b"),
    object_end=re.compile(r",|\s+(?:mit|bis|vor|nach|damit|weil|für die|für den|am|im)\s"),
    determined=re.compile(r"\b(?:der|die|das|den|dem|des|unser|unsere|unseren|eure|euren|dein|deine)\s+"
                          r"((?:[\w'-]+\s+){0,3}[\w'-]+)", re.IGNORECASE),
    function_words=frozenset("für von in an auf mit zu bei nach vor und oder aber dass ob wenn ist sind war waren wird "
                             "werden soll sollen kann können muss müssen wir ihr sie es brauchen haben hat".split()),
    article=None,
    a_thing=re.compile(r"(?:der|die|das|den|dem|ein|eine|einen|\d+|zwei|drei|vier|fünf|zehn|zwanzig|hundert)\s",
                       re.IGNORECASE),
    counted=re.compile(r"\b(?:\d+|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf|zwanzig|dreißig|fünfzig|"
                       r"hundert)\s+(?:[\wäöüß]+\s+){0,2}[\wäöüß]+(?:n|en|er|e|s)\b", re.IGNORECASE),
    subject=re.compile(r"^(?:(?:und|dann|also)\s+)?(?:wir|ihr|sie|ich|du)\s+", re.IGNORECASE),
    base_form=lambda text: de_verb_last(text.split(" ", 1)[0], text.split(" ", 1)[1] if " " in text else ""),
    determiner=re.compile(r"^(?:der|die|das|den|dem|unser|unsere|unseren|unserem|ein|eine|einen|die heutige|"
                          r"das heutige|den heutigen)\s+", re.IGNORECASE),
    own=re.compile(r"\bunser(?:e|en|em|er|es)?\b", re.IGNORECASE),
    own_as=lambda m: _DE_OUR[m.group(0).lower()],  # "für unser Team" -> "für das Team"
    self_reference=re.compile(r",?\s+(?:und|aber|also)\s+(?:wir|ich|ihr)\b.*$", re.IGNORECASE),
    particles=frozenset({"über", "um"}),
    should_be=re.compile(r"\s(?:soll|sollte)\s.*\s(?:sein|werden)\s"),
    # "das Büro" is a noun phrase; "das Release verschieben" (a lower-case infinitive last) a verb phrase.
    noun_first=re.compile(r"^(?:der|die|das|den|dem|ein|eine|einen|unser|unsere)\b(?!.*\s(?-i:[a-zäöüß]+(?:en|ern|eln))$)",
                          re.IGNORECASE),
    or_=re.compile(r",?\s+oder\s+"),
    good_question=re.compile(r"\bgute frage\b"),
    capitalises_nouns=True,
    title_style="sentence",
    self_inflected=re.compile(
        r"(?:^|[,;]\s*|\b(?:und|dann|also|okay|gut|ja|klar|gerne)[,]?\s+)"
        r"(?!.*\b(?:nicht|nie|niemals|kein|keine|keinen)\b)"  # "das mache ich nicht" refuses
        r"(?:(?P<pre>(?:\w+\s+){0,3}?)(?P<verb1>(?!" + "|".join(_STATE) + r")[a-zäöüß]+e)\s+ich(?:\s+(?P<rest1>.+)|[.!]?$)"
        r"|ich\s+(?P<verb2>(?!" + "|".join(_STATE) + r"|werde|muss|kann|will|möchte|soll|würde)[a-zäöüß]+e)\s+"
        r"(?P<rest2>.+))"),
    inflected_task=lambda m, original: _inflected_task(m, original),
    as_infinitive=de_infinitive_phrase,
    decided_infinitive=de_zu_infinitive,
    retell=Retelling("de"),
    phrasing=Phrasing(
        purpose_topic="In der Besprechung ging es um {}.",
        own="die",
        by="bis {}",
        by_end="bis zum {}",
        purpose_action="Die Besprechung sollte {}.",
        topics="Es ging vor allem um {}.",
        part_topics="In diesem Teil ging es um {}.",
        decided="Es wurde beschlossen, {}.",
        decided_to="{}",
        decided_that="dass {}",
        decided_on="sich für {} zu entscheiden",
        will="{} wird {}.",
        team="Das Team",
        unassigned="Noch zu vergeben: {}.",
        more_actions="Unten stehen {} weitere Aufgaben.",
        still_open="Noch offen: {}",
        nothing_settled="Es wurde nichts beschlossen und keine Aufgabe verteilt.",
        and_="und",
        due_first=True,
    ),
)


_PRONOUNS = frozenset("mich mir dich dir ihm ihn ihr es sie uns euch ihnen sich".split())


def _inflected_task(m: re.Match[str], original: str) -> str:
    """ "ich bestelle das Essen bis Freitag" -> "das Essen bis Freitag bestellen"; "darum kümmere ich mich" ->
    "mich darum kümmern"; "das mache ich" -> "das machen"."""
    if m.group("verb2"):
        return de_verb_last(m.group("verb2"), original[m.start("rest2"):m.end("rest2")].rstrip(" .!?"))
    pre = original[m.start("pre"):m.end("pre")].strip()
    rest = original[m.start("rest1"):m.end("rest1")].rstrip(" .!?").split() if m.group("rest1") else []
    # Pronouns lead the middle field: "Morgen schicke ich dir die Folien" -> "dir morgen die Folien schicken".
    lead = []
    while rest and rest[0].lower() in _PRONOUNS:
        lead.append(rest.pop(0))
    return de_verb_last(m.group("verb1"), " ".join([*lead, pre, *rest]).strip())
