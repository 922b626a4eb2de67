"""The little grammar the minutes need in German, Spanish and French: a verb back to its infinitive, a
statement turned into an infinitive phrase, and first and second person retold in the third; in English, an "I"
retold as someone's name takes its verb along ("once I have signed" -> "once Sheila has signed").

Action items are kept as infinitive phrases ("die Einladungen bis Montag verschicken", "enviar las
invitaciones", "réserver la salle"): the form a to-do list uses in all three languages, and one that
follows "X wird …", "X va a …", "X va …" without conjugating anything. A verb said in another form
("je réserverai", "reservo", "ich bestelle") is taken back to its infinitive with simplemma's
dictionaries (MIT; forms, not a model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import simplemma


@lru_cache(maxsize=4096)
def lemma(word: str, language: str) -> str:
    return str(simplemma.lemmatize(word, lang=language))


def _is_infinitive(word: str, language: str) -> bool:
    w = word.lower()
    if language == "es":
        return bool(re.search(r"(?:ar|er|ir|ír)(?:se|lo|la|los|las|le|les|me|te|nos)?$", w))
    if language == "fr":
        return bool(re.search(r"(?:er|ir|re|oir)$", w))
    return w.endswith(("en", "ern", "eln"))


def infinitive(word: str, language: str) -> str:
    """ "réserverai" -> "réserver", "hacemos" -> "hacer", "bestelle" -> "bestellen"; unknown words as said."""
    if _is_infinitive(word, language):
        return word
    found = lemma(word.lower(), language)
    if found != word.lower() and _is_infinitive(found, language):
        return found
    if language == "es" and re.search(r"[^aeiou]í?o$", word.lower()):  # "mando" (a noun too) -> "mandar"
        stem = word.lower()[:-1].replace("í", "i")
        for ending in ("ar", "er", "ir"):
            if simplemma.is_known(stem + ending, lang="es"):
                return stem + ending
    if language == "de":  # regular first person: "bestelle" -> "bestellen", "kümmere" -> "kümmern"
        w = word.lower()
        if w.endswith(("ere", "ele")):
            return w[:-1] + "n"
        if w.endswith("e"):
            return w + "n"
    return word


# --- German ------------------------------------------------------------------------------------------------------

# Separable prefixes said at the end of a main clause: "ich rufe ihn an" -> "ihn anrufen".
DE_PARTICLES = frozenset("an auf aus ab bei ein mit nach vor zu zurück weg weiter fest los vorbei durch um her hin "
                         "zusammen bereit fertig statt teil vorbereiten".split())


def de_verb_last(verb: str, rest: str) -> str:
    """A German main clause's verb and what follows it, as an infinitive phrase: the verb goes last, with its
    separable prefix ("rufe", "den Kunden morgen an" -> "den Kunden morgen anrufen")."""
    words = rest.split()
    prefix = ""
    if words and words[-1].lower().strip(".,!?") in DE_PARTICLES:
        prefix = words.pop().lower().strip(".,!?")
    inf = infinitive(verb, "de")
    return " ".join([*words, prefix + inf.lower()]).strip()


def de_zu_infinitive(phrase: str) -> str:
    """ "im Büro feiern" -> "im Büro zu feiern"; "den Kunden anrufen" -> "den Kunden anzurufen"."""
    words = phrase.split()
    if not words or " zu " in f" {phrase} " or re.search(r"zu\w+en$", words[-1]) and len(words[-1]) > 8:
        return phrase
    if words[-1][:1].isupper():  # a noun last ("im Bürofeiern", as misheard): no verb to put "zu" before
        return phrase
    last = words[-1]
    for particle in sorted(DE_PARTICLES, key=len, reverse=True):
        if last.startswith(particle) and len(last) - len(particle) >= 4 and _is_infinitive(last, "de"):
            words[-1] = particle + "zu" + last[len(particle):]
            return " ".join(words)
    return " ".join([*words[:-1], "zu", last])


_DE_V2 = re.compile(r"^(?P<verb>[a-zäöüß]+)\s+(?:wir|ich|man)\s+(?P<rest>.+)$", re.IGNORECASE)
_DE_MODAL_V2 = re.compile(r"^(?:werden|wollen|sollen|müssen|können|möchten|würden)\s+(?:wir|ich|man)\s+(?P<rest>.+)$",
                          re.IGNORECASE)


def de_infinitive_phrase(text: str) -> str:
    """ "feiern wir im Büro" -> "im Büro feiern"; "wir feiern im Büro" -> "im Büro feiern"; an infinitive phrase
    as it is."""
    text = re.sub(r"^(?:wir|ich|man)\s+", "", text.strip(), flags=re.IGNORECASE)
    if m := _DE_MODAL_V2.match(text):
        return m.group("rest")
    if m := _DE_V2.match(text):
        return de_verb_last(m.group("verb"), m.group("rest"))
    words = text.split()
    if len(words) >= 2 and not _is_infinitive(words[-1], "de") and not words[0][:1].isupper():
        # "bestellen das Essen" never happens; "feiern im Büro" (verb first, subject dropped) does.
        if _is_infinitive(words[0], "de") or lemma(words[0].lower(), "de") != words[0].lower():
            return de_verb_last(words[0], " ".join(words[1:]))
    return text


# Possessives become articles that keep their case ending: "meinen Bericht" -> "den Bericht".
_DE_POSSESSIVE = re.compile(r"\b(?:mein|dein|unser|euer|eur|Ihr)(?P<end>e|en|em|er|es)?\b")
_DE_ARTICLE = {"": "das", "e": "die", "en": "den", "em": "dem", "er": "der", "es": "des"}


def de_retell(text: str, *, owner_self: bool, asker: str | None, listener: str | None) -> str:
    """First and second person in a German task, retold about its owner: "dir die Folien schicken" said by the
    owner -> "Sheila die Folien schicken"; "mir die Zahlen schicken" asked by Diane -> "Diane die Zahlen
    schicken"; "mich darum kümmern" -> "sich darum kümmern"."""
    def swap(m: re.Match[str]) -> str:
        w = m.group(0)
        low = w.lower()
        if low in ("mich", "mir"):
            return (asker or "sich") if not owner_self else "sich"
        if low in ("dich", "dir"):
            return "sich" if not owner_self else (listener or w)
        if low in ("euch", "uns"):
            return "sich"
        return w

    text = re.sub(r"\b(?:mich|mir|dich|dir|euch|uns)\b", swap, text, flags=re.IGNORECASE)
    text = _DE_POSSESSIVE.sub(lambda m: _DE_ARTICLE[m.group("end") or ""], text)
    return text


# --- Spanish -----------------------------------------------------------------------------------------------------

_ES_CLITIC = r"(?:me|te|se|lo|la|los|las|le|les|nos|os)"
_ES_ACCENT = {"a": "á", "e": "é", "i": "í"}


def _es_attach(inf: str, clitics: list[str]) -> str:
    """ "mandar" + ["te", "lo"] -> "mandártelo"."""
    if not clitics:
        return inf
    if len(clitics) > 1 and inf[-2] in _ES_ACCENT:
        inf = inf[:-2] + _ES_ACCENT[inf[-2]] + inf[-1]
    return inf + "".join(clitics)


def es_infinitive_phrase(text: str) -> str:
    """ "te mando las notas" -> "mandarte las notas"; "hacemos la fiesta" -> "hacer la fiesta"; "enviaré" -> "enviar"."""
    words = text.strip().split()
    clitics = []
    while words and re.fullmatch(_ES_CLITIC, words[0].lower()) and len(words) > 1:
        clitics.append(words.pop(0).lower())
    if not words:
        return text
    verb = words[0]
    inf = infinitive(verb, "es")
    if inf == verb and not clitics:
        return text
    if verb.lower().endswith("mos"):  # "nos centremos en…" is reflexive: "centrarse en…"
        clitics = ["se" if c == "nos" else c for c in clitics]
    return " ".join([_es_attach(inf.lower(), clitics), *words[1:]])


_ES_ENCLITIC = re.compile(r"\b(?P<verb>\w+(?:ar|er|ir|ír|ár|ér))(?P<cl>(?:me|te|nos|os)(?:lo|la|los|las)?)\b", re.IGNORECASE)
_ES_POSSESSIVE = {"mi": "su", "mis": "sus", "tu": "su", "tus": "sus", "nuestro": "su", "nuestra": "su",
                  "nuestros": "sus", "nuestras": "sus", "vuestro": "su", "vuestra": "su", "vuestros": "sus",
                  "vuestras": "sus"}


def es_retell(text: str, *, owner_self: bool, asker: str | None, listener: str | None) -> str:
    """ "enviarte las notas" said by the owner -> "enviarle las notas"; "encargarme de" -> "encargarse de";
    "mis notas" -> "sus notas"."""
    def enclitic(m: re.Match[str]) -> str:
        cl = m.group("cl").lower()
        head = re.match(r"me|te|nos|os", cl)
        assert head is not None
        person, rest = head.group(0), cl[head.end():]
        reflexive = (person == "me" and owner_self) or (person in ("te", "os") and not owner_self)
        # "enviártelo" -> "enviárselo": le + lo is said "se lo".
        new = "se" if reflexive or rest else ("les" if person in ("nos", "os") else "le")
        return m.group("verb") + new + rest

    text = _ES_ENCLITIC.sub(enclitic, text)
    return re.sub(r"\b\w+\b", lambda m: _ES_POSSESSIVE.get(m.group(0).lower(), m.group(0)), text)


# --- French ------------------------------------------------------------------------------------------------------

_FR_CLITICS = re.compile(r"^(?P<cl>(?:(?:me|te|se|le|la|les|lui|leur|nous|vous|en|y)\s+|(?:m'|t'|s'|l'|j'))*)"
                         r"(?P<verb>[\w-]+)(?P<rest>.*)$", re.IGNORECASE)


def fr_infinitive_phrase(text: str) -> str:
    """ "t'envoie le programme" -> "t'envoyer le programme"; "réserverai la salle" -> "réserver la salle"."""
    m = _FR_CLITICS.match(text.strip())
    if not m:
        return text
    verb = m.group("verb")
    inf = infinitive(verb, "fr")
    if inf == verb:
        return text
    cl = m.group("cl")
    # "m'occupe" -> "m'occuper", "l'envoie" -> "l'envoyer": the elided pronoun stays in front.
    return f"{cl}{inf.lower()}{m.group('rest')}"


_FR_POSSESSIVE = {"mon": "son", "ma": "sa", "mes": "ses", "ton": "son", "ta": "sa", "tes": "ses", "notre": "leur",
                  "nos": "leurs"}


def fr_retell(text: str, *, owner_self: bool, asker: str | None, listener: str | None) -> str:
    """ "m'occuper du budget" -> "s'occuper du budget"; "vous envoyer le deck" -> "lui envoyer le deck";
    "mes notes" -> "ses notes"."""
    def pronoun(m: re.Match[str]) -> str:
        low = m.group(0).lower().strip()
        if low == "nous":
            return "leur "
        first, second = low in ("me", "m'"), low in ("te", "t'", "vous")
        if (first and owner_self) or (second and not owner_self):
            return "s'" if low.endswith("'") else "se "
        return "lui "

    # Object pronouns right before the verb ("vous envoyer", "m'occuper", "te le donner").
    text = re.sub(r"(?<![\w'])(?:me |m'|te |t'|vous |nous )(?=(?:le |la |les |l'|en |y )?[\w]+(?:er|ir|re|oir)\b)",
                  pronoun, text, flags=re.IGNORECASE)
    return re.sub(r"\b\w+\b", lambda m: _FR_POSSESSIVE.get(m.group(0).lower(), m.group(0)), text)


@dataclass(frozen=True)
class Retelling:
    """How to retell a task in the third person, for one language."""

    language: str

    def __call__(self, text: str, *, owner_self: bool, asker: str | None, listener: str | None) -> str:
        fn = {"de": de_retell, "es": es_retell, "fr": fr_retell}.get(self.language)
        return fn(text, owner_self=owner_self, asker=asker, listener=listener) if fn else text


# English: "I" retold as a name, and the verb after it in the third person.
_EN_CONTRACTED = {"'m": "is", "'ve": "has", "'ll": "will", "'d": "would"}
_EN_THIRD = {"am": "is", "have": "has", "do": "does", "go": "goes", "don't": "doesn't", "haven't": "hasn't"}
_EN_AS_SAID = frozenset("can could will would shall should must might may did had was wasn't didn't can't couldn't "
                        "won't wouldn't shouldn't mustn't hadn't".split())
_EN_I = re.compile(r"\bI(?P<contracted>'m|'ve|'ll|'d)?\b(?P<adverbs>(?:\s+(?:just|really|also|still|never|always|"
                   r"already|only|actually|usually|probably|even|then|now|first|finally|\w+ly)\b)*)"
                   r"(?:\s+(?P<verb>[a-z]+(?:'t)?)\b)?")


def en_subject_retold(text: str, name: str) -> str:
    """Every "I" of ``text`` as ``name``, with the verb that follows it agreeing: "when I'm back" -> "when Sheila is
    back", "before I finish" -> "before Sheila finishes"; modals and past tenses as said."""

    def third(m: re.Match[str]) -> str:
        said = name + (" " + _EN_CONTRACTED[m["contracted"]] if m["contracted"] else "") + m["adverbs"]
        verb = m["verb"]
        if verb is None:
            return said
        if m["contracted"] or verb in _EN_AS_SAID or (verb.endswith("ed") and not verb.endswith("eed")):
            return f"{said} {verb}"
        if verb in _EN_THIRD:
            return f"{said} {_EN_THIRD[verb]}"
        if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
            return f"{said} {verb}es"
        if re.search(r"[^aeiou]y$", verb):
            return f"{said} {verb[:-1]}ies"
        return f"{said} {verb}s"

    return _EN_I.sub(third, text)
