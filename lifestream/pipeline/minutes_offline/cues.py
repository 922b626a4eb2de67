"""The words that mark a commitment, a request, a proposal, assent, a deferral: one table per language.

Every rule of the offline minutes reads its language through a ``Cues``
object, so another language is another table (and its phrasing of the
summary), not another set of rules. The patterns describe how people speak in
meetings in general — modal verbs, first-person promises, the usual ways of
agreeing and putting things off — and are matched on lower-cased sentence text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from lifestream.pipeline.grammar import en_subject_retold


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


@dataclass(frozen=True)
class Phrasing:
    """How the summary says things, with ``{}`` slots for the extracted parts."""

    purpose_topic: str = "The meeting was about {}."
    own: str = "their"
    by: str = "by {}"
    by_end: str = "by the {}"
    purpose_action: str = "The meeting was called to {}."
    topics: str = "The discussion was mainly about {}."
    part_topics: str = "This part covered {}."
    decided: str = "It was decided {}."
    decided_to: str = "to {}"
    decided_that: str = "that {}"
    decided_on: str = "on {}"
    will: str = "{} will {}."
    team: str = "The team"
    unassigned: str = "Someone still has to {}."
    more_actions: str = "There are {} more action items below."
    still_open: str = "Still open: {}"
    nothing_settled: str = "Nothing was decided or assigned."
    and_: str = "and"
    # Where a deadline goes in "X will <task> <due>": after the task, or before it (German: "wird bis
    # Freitag die Folien schicken", the verb last).
    due_first: bool = False
    # Last touches to the composed summary (French elision: "de organiser" -> "d'organiser").
    finish: Callable[[str], str] = lambda text: text


@dataclass(frozen=True)
class Cues:
    language: str
    # Where a commitment starts inside a sentence: "I'll be on call, and I'll watch the dashboard" is two.
    clause_start: re.Pattern[str]
    # A person promising to do something: "I'll send…", "let me check…".
    self_commit: re.Pattern[str]
    # "I can …" promises only where it answers a question or request, or names a deadline.
    self_offer: re.Pattern[str]
    # Asking someone else: "can you…", "please…".
    request: re.Pattern[str]
    # The group obliging itself: "we need to…", "someone has to…".
    team_task: re.Pattern[str]
    # A named person given a task: "Tom can do the second round" (matched on the original case).
    assignment: re.Pattern[str]
    # What follows "I'll" without being a task: "I'll be honest", "I'll tell you what".
    not_a_task: re.Pattern[str]
    # Verbs of knowing and feeling: "I have to know…" is not a task.
    state_verbs: frozenset[str]
    # Verbs about the meeting itself: "we need to decide…" is the agenda, not a task.
    meeting_verbs: re.Pattern[str]
    # Light verbs that leave the real task to context: "I'll do that", "I'll take it".
    light_verbs: frozenset[str]
    # Explicit decisions: "we decided…", "let's go with…", "the hall it is".
    decided: re.Pattern[str]
    # Proposals that become decisions when others assent: "what if we…", "should we…?", "let's…".
    proposal: re.Pattern[str]
    # "let's" that only steers the meeting: "let's start", "let's move on"; unless it plans ahead.
    steering: re.Pattern[str]
    plans_ahead: re.Pattern[str]
    assent: re.Pattern[str]
    weak_assent: re.Pattern[str]
    objection: re.Pattern[str]
    # Answers that leave a question open: "I'm not sure", "good question", "let's leave that".
    deferral: re.Pattern[str]
    # Questions that ask nothing: "so what can I say?", "…, right?".
    rhetorical: re.Pattern[str]
    # A quantity said in words ("about fifty thousand"): an answer, however short.
    number: re.Pattern[str]
    # A question asking who will do something: "who writes the related work?"
    who_question: re.Pattern[str]
    # The opening's statement of purpose: "this is our release check for…", "we're here to…".
    purpose_topic: re.Pattern[str]
    purpose_action: re.Pattern[str]
    # Where a topic phrase stops being a title: relative clauses, times, reasons.
    title_stop: re.Pattern[str]
    title_small_words: frozenset[str]
    # Words said in passing that carry no topic.
    stopwords: frozenset[str]
    # Pronouns that point back ("it", "that") and so need an antecedent.
    anaphora: frozenset[str]
    # Person pronouns that a task may use for someone named just before ("write to her").
    person_pronouns: frozenset[str]
    # Leading discourse words stripped from tasks and decisions ("so", "then", "okay").
    lead_in: re.Pattern[str]
    # Retelling a task in the third person: who "me"/"I" and "you" were, "my" as "their".
    speaker_ref: re.Pattern[str]
    listener_ref: re.Pattern[str]
    own_ref: re.Pattern[str]
    # Deadline phrases that read on their own ("tomorrow", "by Friday"); others get ``by``.
    due_ready: re.Pattern[str]
    # What a clause as a list item loses at its end: a reason, a comment on it, a dangling conjunction.
    clause_cut: re.Pattern[str]
    # A promise inside a subordinate clause is none ("send me the quote so I can book it").
    subordinate_end: re.Pattern[str]
    # "I'll also…": another task, not the acceptance of the one asked for.
    also: re.Pattern[str]
    # Where a clause's object ends ("move the desks with the van" -> "the desks").
    object_end: re.Pattern[str]
    # A determined noun phrase ("the ethics statement") and the function words that end one.
    determined: re.Pattern[str]
    function_words: frozenset[str]
    # The article a question's noun phrase is cited with ("the"), or None: as said (languages with gender).
    article: str | None
    # A phrase that already names a thing ("the ethics statement", "twenty pairs of gloves").
    a_thing: re.Pattern[str]
    # A number and what it counts ("twenty pairs of gloves").
    counted: re.Pattern[str]
    # A subject (and modal) before a statement of what should happen: "we cut them down" -> "cut them down".
    subject: re.Pattern[str]
    # The verb of "who writes the related work?" as a task: "write the related work".
    base_form: Callable[[str], str]
    # The determiner a purpose or title loses ("the budget review" -> "Budget Review").
    determiner: re.Pattern[str]
    # "our"/"my" in a purpose, said as ``own_as`` ("our release check" -> "the release check").
    own: re.Pattern[str]
    own_as: str | Callable[[re.Match[str]], str]
    # Where a stated purpose turns back to the speakers: "…review, and we need to agree on…".
    self_reference: re.Pattern[str]
    # Words that go with a purpose's verb and leave the title with it ("talk about", "go over").
    particles: frozenset[str]
    # A decision worded as a clause ("the booth should be…"), and a proposal noun-first ("the island booth").
    should_be: re.Pattern[str]
    noun_first: re.Pattern[str]
    # The "or" between the alternatives of a choice.
    or_: re.Pattern[str]
    # "Good question." - which may still be followed by an answer.
    good_question: re.Pattern[str]
    # German capitalises every noun: a capitalised word is a name only when it is known as one.
    capitalises_nouns: bool
    # "Budget Review" (English headline style) or "Weihnachtsfeier im Büro" (sentence case).
    title_style: Literal["title", "sentence"]
    # A commitment in an inflected verb ("je réserverai la salle", "ich bestelle das Essen"), and how its
    # task is said as an infinitive phrase; such a statement is a promise only where it answers someone or
    # names a deadline (as "I can…").
    self_inflected: re.Pattern[str] | None = None
    inflected_task: Callable[[re.Match[str], str], str] | None = None
    # A task turned into an infinitive phrase: "hacemos la fiesta" -> "hacer la fiesta" (identity in English).
    as_infinitive: Callable[[str], str] = lambda text: text
    # A decision's verb phrase after "decided to" ("im Büro feiern" -> "im Büro zu feiern").
    decided_infinitive: Callable[[str], str] = lambda text: text
    # First and second person in a task retold about its owner ("dir die Folien schicken" -> "Sheila die
    # Folien schicken"), for languages where ``speaker_ref``/``listener_ref`` substitution is not enough.
    retell: Callable[..., str] | None = None
    # Assent that names what was chosen: "Fine, a picnic then." (group "np"); None where not known.
    assent_names: re.Pattern[str] | None = None
    # A yes/no question about a thing ("Should it create a ticket instead?", group "rest"), and the agenda
    # line that named the thing ("About the contact form.", group "np"); None where not known.
    thing_question: re.Pattern[str] | None = None
    agenda_item: re.Pattern[str] | None = None
    # A whole sentence that can only be said to someone else's proposal ("Fine by me.", "Works for me."): when
    # the diarizer gives it to the proposer (a short turn merged into the long one before), it is another
    # voice's assent. None where not known.
    assent_to_others: re.Pattern[str] | None = None
    # Agreement that only a proposal gets ("Fine by me.", "Yes, works for me."), so what it answers was one, and
    # a statement of what "we" do, which such agreement makes a decision ("We go with two hires." - "Agreed.").
    endorsement: re.Pattern[str] | None = None
    we_statement: re.Pattern[str] | None = None
    # A turn-initial "and we <verb>…" that concludes like "then we…": recognisers often hear a sentence-initial
    # "then" as "and". Past tenses are excluded (a report, not a conclusion). None where not known.
    and_conclusion: re.Pattern[str] | None = None
    # What a request asks to be told, to be answered on the spot ("can you tell me what the budget is?",
    # "remind me, do I tick it?", "could you walk us through it?"): a question, not a task. None where not known.
    information_request: re.Pattern[str] | None = None
    # The asker's "I" in a task retold about its owner, with its verb agreeing ("once I have signed" -> "once
    # Sheila has signed"), before ``speaker_ref`` names the rest; None where ``speaker_ref`` alone is enough.
    subject_retold: Callable[[str, str], str] | None = None
    phrasing: Phrasing = field(default_factory=Phrasing)


# --- English -----------------------------------------------------------------------------------------------------

_EN_IRREGULAR = {"does": "do", "goes": "go", "has": "have", "is": "be"}


def _english_base_form(text: str) -> str:
    """ "writes the related work" -> "write the related work": a "who …?" question's verb as a task."""
    first, _, rest = text.partition(" ")
    low = first.lower()
    if low in _EN_IRREGULAR:
        base = _EN_IRREGULAR[low]
    elif re.search(r"(?:sh|ch|x|ss|zz)es$", low):
        base = low[:-2]
    elif low.endswith("ies") and len(low) > 4:
        base = low[:-3] + "y"
    elif low.endswith("s") and not low.endswith("ss"):
        base = low[:-1]
    else:
        base = low
    return f"{base} {rest}".strip()


_EN_WILL = _any(r"i'll", r"i will", r"i'm going to", r"i am going to", r"i'm gonna", r"i am gonna", r"let me",
                r"i need to", r"i have to", r"i've got to", r"i volunteer to", r"i promise to", r"i'll make sure to",
                r"i'll try to", r"i can take care of")
_EN_TEAM = _any(r"we need to", r"we have to", r"we must", r"we'll need to", r"we will need to", r"we've got to",
                r"we gotta", r"someone needs to", r"somebody needs to", r"someone has to", r"somebody has to",
                r"someone should", r"let's make sure to", r"let's make sure we", r"we should", r"we ought to")
_EN_STOP = frozenset("""
a an the and or but if of to in on at for with is are was were be been being it its it's that this there i we you he
she they me my our your them his her do did does done have has had not no what which who whom all can will would could
should about from as by up out then than too very get got go going one some i'm i'll i've i'd don't didn't doesn't
that's there's isn't aren't wasn't weren't we're we'll we've we'd you're you'll you've you'd they're they'll they've
he's she's it'll let's what's who's where's here's can't won't wouldn't couldn't shouldn't haven't hasn't hadn't thing
things much also now here down how when where why because any more most these those into over again even still us
said say see want think thinking least call gonna kind sort stuff moment lot sure maybe just really like know mean
guess yeah yes okay ok oh um uh hmm
right so well hello hi bye thanks thank please mhm originally actually basically probably definitely literally honestly
totally exactly obviously usually certainly finally currently recently simply quickly especially absolutely pretty
though anyway already always never something anything everything nothing someone everyone anyone other another good
great back time way day today tomorrow going doing make made take need put come came look talk tell told try use used
work hear heard next last first every each few many only same both either whether while until before after
once twice per via yet ever lot lots bit little big small sorry alright cool nice fine perfect brilliant wow guess
start let's let lets week weeks month months year years quarter hour hours minute minutes morning afternoon
evening tonight weekend their theirs its own everyone everybody anybody somebody monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december
""".split())

# Assent that only a proposal gets ("fine by me"); "makes sense" and "fair enough" also acknowledge an explanation.
_EN_ENDORSE = (r"agreed|i agree|fine (?:by|with) me|works for (?:me|us)|(?:that )?sounds (?:good|great|fine)(?: to me)?|"
               r"no objection|(?:good|great) idea|i'm fine with (?:that|it)")

ENGLISH = Cues(
    language="en",
    clause_start=re.compile(r"\b" + _any(_EN_WILL, r"i can(?!')", _EN_TEAM) + r"\b"),
    self_commit=re.compile(r"\b" + _EN_WILL + r"\s+(?P<task>(?!not\b|never\b).+)"),
    self_offer=re.compile(r"\bi can\s+(?P<task>(?!not\b|never\b|say\b|see\b|tell\b|imagine\b|hear\b).+)"),
    request=re.compile(
        r"(?:^|[,.;:]\s*|\b(?:so|and|then|also|okay|ok|now)\s+)(?:\w+,\s+)?"
        + _any(r"can you", r"could you", r"would you", r"will you", r"would you mind", r"please", r"i need you to",
               r"i'd like you to", r"you need to", r"make sure you", r"can i ask you to", r"could i ask you to")
        + r"\s+(?:please\s+)?(?:also\s+)?(?P<task>.+)"),
    team_task=re.compile(r"\b" + _EN_TEAM + r"\s+(?:also\s+|still\s+)?(?P<task>.+)"),
    assignment=re.compile(
        r"(?:^|\b(?:and|then|so)\s+|,\s+)(?P<name>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+"
        + _any(r"can", r"will", r"is going to", r"'ll", r"could take", r"takes") + r"\s+(?P<task>[a-z].+)"),
    not_a_task=re.compile(
        r"^(?:be (?:honest|frank|brief|quick|clear|right back|fine|okay|happy|glad)|say|tell you|admit|bet|guess|think|"
        r"try to remember|see you|talk to you|let you know what i think|have to say|go ahead and say|just say|"
        r"give you an example|put it this way|take that back|start|begin|leave it there|stop there|wrap up|"
        r"know|see|hear|remember|be back|let you go|repeat|say that again|speak up)\b"),
    information_request=re.compile(
        r"^(?:just |please |quickly |also )?(?:"
        r"(?:tell|remind|show) (?:me|us)(?:(?=\s*(?:[,.?]|$))|\s+(?:what|how|why|when|where|who|which|whether|if|again)\b)|"
        r"explain (?:(?:to )?(?:me|us) )?(?:what|how|why|when|where|who|which|whether|again)\b|"
        r"walk (?:me|us) through)\b"),
    state_verbs=frozenset("know think believe feel understand see hear remember wonder guess admit agree say "
                          "seem like love hate want mean imagine suppose".split()),
    meeting_verbs=re.compile(r"^(?:agree|decide|discuss|talk|chat|settle|think|figure out what|go through|go over|"
                             r"review what|look at what|plan what|cover|get through|meet|sync)\b"),
    light_verbs=frozenset("do take handle own cover manage sort try deal look have get".split()),
    decided=re.compile(
        r"(?:\bwe(?:'ve| have)?\s+(?:also\s+|just\s+|already\s+|all\s+)?(?:decided|agreed)"
        r"(?:\s+(?:last\s+\w+|earlier|yesterday|before))?(?:\s+(?P<link>to|that|on))?\s+(?P<core1>.+)"
        r"|\b(?:it's|it is|that's|that is)\s+(?:decided|agreed|settled)(?:\s+then)?(?:\s+that)?[,:]?\s+(?P<core2>.+)"
        r"|\bthe\s+(?:decision|consensus|verdict)\s+is(?:\s+(?P<link3>to|that))?\s+(?P<core3>.+)"
        r"|\b(?P<core4>(?:we're|we are|we'll|we will|let's|then we|so we|we)\s+go(?:ing)?\s+(?:ahead\s+)?with\s+.+)"
        r"|\bsettled\s+on\s+(?P<core5>.+)"
        r"|^(?:(?:\w+[,.]\s+)*(?:so|then)|(?:\w+[,.]\s+)+and)\s+(?P<core7>(?!that\b|this\b|it\b)(?:the\s+)?[\w' ]+?\s+is\s+(?:the|our)\s+[\w ]+)[.!]?$"
        r"|^(?:(?:okay|ok|fine|right|alright|good|great|so|then|yes|well)[,.!]?\s+)*(?P<core6>(?!that\b|this\b|it\b|"
        r"what\b|how\b|who\b|there\b)[\w' -]{3,60}?)\s+it\s+is[.!]*$)"),
    proposal=re.compile(
        r"(?:\bwhat if we\s+(?P<p1>.+)"
        r"|\bhow about\s+(?:we\s+)?(?P<p2>.+)"
        r"|\bwhy don't we\s+(?P<p3>.+)"
        r"|^(?:\w+[,.]?\s+)?(?:so\s+|and\s+|then\s+)?(?:should|shall|could|can)\s+we\s+(?:also\s+|maybe\s+|just\s+)?"
        r"(?P<p4>.+\?)"
        r"|^(?:\w+[,.]?\s+)?(?:so\s+|and\s+|then\s+)?do\s+we\s+(?:also\s+)?(?P<p4b>(?!have\b|know\b|need\b|want\b|"
        r"like\b|think\b|mean\b|get\b|see\b|remember\b|agree\b|all\b|still\b|really\b|even\b)\w+\b.+\?)"
        r"|\b(?:i|we)\s+(?:suggest|propose|recommend)(?:\s+that)?(?:\s+we)?\s+(?P<p5>.+)"
        r"|\bi'd\s+(?:rather|prefer to|like to|like us to|suggest|propose|recommend|say|go for|vote for|pick)\s+"
        r"(?:we\s+)?(?P<p6>(?!yes\b|no\b|so\b).+)"
        r"|\bi'd\s+(?P<p7>(?:keep|push|move|drop|skip|start|stop|use|postpone|delay|cut|add|remove|go with|"
        r"pick|choose)\b.+)"
        r"|\b(?:we|they|you|people|everyone|everybody|someone|marketing|sales|operations|engineering|support|"
        r"finance|design|it)\s+could\s+"
        r"(?P<p8>(?!be\b|have\b|only\b).+)"
        r"|\b(?:let's|let us)\s+(?P<p9>(?!not\b|see\b|say\b).+)"
        r"|^(?:(?:\w+[,.]\s+)*(?:then|so)|(?:\w+[,.]\s+)+and)\s+we\s+(?P<p10>(?!can\b|could\b|need\b|have\b|were\b|are\b|had\b)\w+\b.+)"
        r"|\bwe'll\s+(?P<p11>(?!need\b|see\b|have\b|come back\b|talk\b|be\b|get back\b)\w+\b.+)"
        r"|^(?P<p12>(?:and\s+)?(?:the|our|this|that|every|each)\s+[\w ]+?\s+should\s+(?:be|stay|remain)\s+.+)"
        r"|\bi think we should\s+(?P<p13>.+)"
        r"|\bmaybe we\s+(?:should|could)\s+(?P<p14>.+)"
        r"|\bwe should\s+(?P<p15>.+)"
        r"|^(?:\w+[,.]\s+)*(?:and\s+|so\s+)?are we\s+(?P<p16>.+,?\s+or\s+.+)\?$)"),
    steering=re.compile(r"^(?:start|begin|get started|go through|go over|review|talk about|discuss|look at|use this "
                        r"meeting|move on|wrap up|meet|take a look|dive in|kick off|recap|sum up|leave|come back|"
                        r"continue|hear|see|focus|keep (?:it|this) short|stop|get going|first|quickly)\b"),
    plans_ahead=re.compile(r"\b(?:every|each|once|twice|weekly|monthly|daily|from now on|regularly|next (?:week|month|"
                           r"time|quarter)|in (?:two|three|four) weeks)\b"),
    assent=re.compile(
        r"\b(?:yes|yeah|yep|yup|sure|agreed|i agree|sounds (?:good|great|fine)|(?:good|great|nice) idea|that works|"
        r"works for (?:me|us|engineering|everyone)|fine (?:by|with) me|makes sense|i like (?:that|it)|let's do (?:that|it)|"
        r"absolutely|definitely|of course|exactly|i'd be fine with|i'm fine with|fine with that|happy with that|"
        r"happy to|no objection|deal|i'm in|good call|will do|no problem|no worries|on it|"
        r"that's (?:a )?(?:great|good|nice|fine)|i'd say yes|that's fine|that would help|would like that|"
        r"would love (?:that|it)|love (?:that|it)|(?:that's |it's )?(?:possible|doable)|fair enough|go for it|"
        r"sounds like a plan)\b"),
    thing_question=re.compile(r"^(?:\w+[,.]\s+)*(?:so\s+|and\s+)?(?:should|shall|could|would|can)\s+(?:it|they|this)\s+"
                              r"(?P<rest>(?!be\b|have\b)\w+\b.+?)\?$"),
    agenda_item=re.compile(r"^(?:(?:now|next|okay|ok|so|and)[,.]?\s+)*(?:about|regarding|as for|on)\s+"
                           r"(?P<np>(?:the|our|this)\s+[\w' -]{2,40}?)\s*[.:,]"),
    assent_to_others=re.compile(r"^(?:" + _EN_ENDORSE + r"|(?:that )?makes sense|fair enough)[.!]*$"),
    endorsement=re.compile(r"^(?:(?:yes|yeah|okay|ok)[,.!]?\s+)?(?:" + _EN_ENDORSE + r")[.!]*$"),
    we_statement=re.compile(r"^(?:\w+[,.]\s+)*(?:and\s+|so\s+|then\s+)?(?P<core>we\s+\w+\b.+)"),
    and_conclusion=re.compile(
        r"^and\s+we\s+(?P<p17>(?!can\b|could\b|would\b|should\b|might\b|must\b|may\b|will\b|does\b|need\b|"
        r"do\s+(?:not|have|need|know|think|want|like|see|mean)\b|"
        r"have\b|had\b|were\b|are\b|was\b|did\b|got\b|went\b|"
        r"said\b|saw\b|made\b|took\b|came\b|found\b|knew\b|thought\b|told\b|gave\b|lost\b|sent\b|spent\b|"
        r"bought\b|heard\b|kept\b|felt\b|left\b|still\b|also\b|already\b|just\b|don't\b|didn't\b|"
        r"\w+ed\b)\w+\b.+)"),
    assent_names=re.compile(r"^(?:okay|ok|good|great|right|alright|all right|fine|yes|yeah|sure|perfect)[,.!]?\s+"
                            r"(?P<np>(?:a|an|the)\s+[\w' -]{2,40}?)(?:,?\s+then\b|,|\s+and\b)"),
    weak_assent=re.compile(r"^(?:okay|ok|good|great|right|alright|all right|fine|cool|nice|excellent|perfect|"
                           r"brilliant|thanks|thank you)\b"),
    objection=re.compile(
        r"(?:^no\b(?! problem| worries| objection)|\bnot really\b|\bi disagree\b|\bi don't agree\b|\bnot happy\b|"
        r"\bi'm not (?:happy|sure|convinced)\b|\bdon't think\b|\bi'd rather not\b|\blet's not\b|"
        r"\bbad idea\b|\bi doubt\b|\bi can't\b|\bwe can't\b|\bwe don't have (?:the|enough)\b|^but\b|\bwait\b)"),
    deferral=re.compile(
        r"\b(?:(?:i'm )?not sure(?!\s+(?:we|it|that|this|they|you|he|she|i|there)\b)|i don't know|don't know|"
        r"no idea|good question|haven't (?:\w+\s+){0,3}yet|hadn't (?:thought|asked|heard)|haven't thought|"
        r"(?:nobody|no one|nothing) so far|"
        r"not yet|can't promise|depends on|it depends|we'll see|let's see|let's leave (?:that|it)|leave (?:that|it) "
        r"for now|come back to (?:that|it|this)|another (?:day|time|meeting)|discussion for|park (?:that|it)|"
        r"take (?:that|it|this) offline|let's not decide|not decided|i'd have to (?:check|ask|find out)|have to check|"
        r"need to (?:check|find out|ask|confirm)|find out|get back to you|i'll check|let me check|we'd have to|"
        r"no one knows|nobody knows|nobody has told|don't have (?:an answer|a strong opinion)|hard to say|unclear|"
        r"nobody really|no one really|to be decided|tbd)\b"),
    rhetorical=re.compile(
        r"(?:^(?:so\s+|and\s+)?what can (?:i|you|we) say\?$|^(?:so\s+)?(?:you know|right|isn't it|okay|ok|yeah|no|"
        r"hello|hi)\?$|,\s*(?:right|correct|yes|no|okay|ok|you know|isn't it|aren't they|don't you think|"
        r"didn't we|don't we|wasn't it|true)\?$|\bhow are (?:you|things)\b|\bcan (?:you|everyone|everybody) "
        r"(?:hear|see) (?:me|us)\b|\bis everyone here\b|\bwhat else\b.{0,20}\?$|\bwho knows\?$|\bwhy not\?$)"),
    number=re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                      r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|percent|half|dozen)\b"),
    who_question=re.compile(r"^(?:\w+[,.]\s+)*(?:and\s+|so\s+)?who(?:'s| is)?\s+(?:going to\s+|gonna\s+)?"
                            r"(?P<task>(?!is\b|are\b|was\b|knows?\b|owns?\b|has\b|said\b)\w+.+)\?$"),
    purpose_topic=re.compile(
        r"(?:\b(?:this|today's|tonight's|the)\s+(?:meeting|call|session|sync)\s+is\s+(?:about|on|for)\s+(?P<t1>.+)"
        r"|\bthis\s+is\s+(?:our|the|a|an|today's|this week's|the weekly|the monthly)\s+(?P<t2>.+)"
        r"|\bthe\s+(?:topic|agenda|goal|purpose|focus|subject|plan)(?:\s+(?:for\s+)?(?:today|tonight|of this "
        r"meeting|for this meeting|of today's meeting))?\s+is\s+(?:to\s+(?P<a3>.+)|(?P<t3>.+))"
        r"|\bwe(?:'re| are)\s+(?:here|meeting)\s+(?:today\s+)?to\s+talk\s+about\s+(?P<t4>.+)"
        r"|\b(?:i|we)\s+want(?:ed)?\s+to\s+(?:talk about|discuss|go over|go through|review)\s+(?P<t5>.+)"
        r"|\blet's\s+(?:talk about|discuss|go over|go through|review)\s+(?P<t6>.+)"
        r"|\b(?:quick\s+)?(?:sync|update|check-in|catch-up)\s+(?:on|about)\s+(?P<t7>.+)"
        r"|\bthe reason (?:we're|we are) (?:meeting|here)(?: today| tonight)? is\s+(?P<t8>(?!to\b).+))"),
    purpose_action=re.compile(
        r"(?:\bwe(?:'re| are)\s+(?:here|meeting)\s+(?:today\s+|tonight\s+)?to\s+(?P<a1>.+)"
        r"|\b(?:today|tonight|this morning|this afternoon)\s+(?:i'd like to|i want to|we want to|we need to|we'll|"
        r"we will|we're going to|let's)\s+(?P<a2>.+)"
        r"|\blet's\s+use\s+(?:this|the|today's)\s+(?:meeting|call|time|session)\s+to\s+(?P<a4>.+)"
        r"|\b(?:the\s+)?(?:goal|aim|purpose)\s+(?:today\s+)?is\s+to\s+(?P<a5>.+)"
        r"|\bi'd like (?:us )?to\s+(?P<a6>(?:settle|agree on|decide|plan|finalise|finalize|review|go through|"
        r"discuss).+)"
        r"|\bwe need to\s+(?P<a7>(?:sort out|plan|organise|organize|prepare|settle|decide on|agree on|figure out|"
        r"go over|go through|review|finalise|finalize)\b.+)"
        r"|\bthe reason (?:we're|we are) (?:meeting|here)(?: today| tonight)? is to\s+(?P<a8>.+))"),
    title_stop=re.compile(
        r"(?:,|;|\s+(?:that|which|who|when|where|because|since|as|so|but|before|after|until|while|if|and agree|"
        r"and decide|not)\s|\s+(?:on|at|in|by|during|from)\s+(?:the\s+)?(?:\w+day|january|february|march|april|"
        r"may|june|july|august|september|october|november|december|the end|the first|the second|the next|next|"
        r"this|last|\d)|\s+(?:for\s+)?(?:next|this|last)\s+(?:week|month|quarter|year)|\s+on\s+\w+\s+street\b"
        r"|\s+(?:today|tonight|tomorrow|now)\b)"),
    title_small_words=frozenset("a an the and or but for nor of to in on at by with from as vs via per".split()),
    stopwords=_EN_STOP,
    anaphora=frozenset("it that this them those these one".split()),
    person_pronouns=frozenset("her him them".split()),
    lead_in=re.compile(r"^(?:(?:also|just|then|and|so|like|probably|definitely|maybe|actually|okay|ok|well|yes|yeah|"
                       r"good|great|right|alright|fine|now|sure|agreed|perfect|thanks)[,.!]?\s+)+"),
    speaker_ref=re.compile(r"\b(?:me|I)\b"),
    subject_retold=en_subject_retold,
    listener_ref=re.compile(r"\b(?:(?<=send )|(?<=tell )|(?<=give )|(?<=show )|(?<=email )|(?<=forward )|(?<=to )|"
                            r"(?<=ping )|(?<=call ))you\b"),
    own_ref=re.compile(r"\bmy\b"),
    due_ready=re.compile(r"^(?:by|before|until|on|for|due|today|tonight|tomorrow|this|next|later|end of day|eod|eow)\b",
                         re.IGNORECASE),
    clause_cut=re.compile(r",?\s+(?:so that|so there|so we|because|since|which|if i get|if we get)\b.*$"
                          r"|,\s+(?:(?:she|he|they|it|that|this)\s+(?:was|is|were|are|has|had|would)|it's|that's|they're)\b.*$"
                          r"|,\s+but\b.*$"
                          r"|[,;:]\s*(?:and|but|so|then)?\s*$"
                          # "send me the deck so" (the clause after "so" was a reason, cut off), but "do so" stays
                          r"|(?<!\bdo)\s+(?:and|but|so|then)\s*$", re.IGNORECASE),
    subordinate_end=re.compile(r"\b(?:so|so that|if|because|when|where|that|unless|until|before|after)\s*$"),
    also=re.compile(r"\b(?:also|as well|too)\b"),
    object_end=re.compile(r",|\s+(?:with|by|before|after|until|so|because|since|for the|on the)\s"),
    determined=re.compile(r"\b(?:the|a|an|our|your|this|these|those|their)\s+((?:[\w'-]+\s+){0,3}[\w'-]+)"),
    function_words=frozenset("for of in on at to with do does did is are was were will would should could can and or "
                             "but that which who we you they it if whether when so because then than as".split()),
    article="the",
    a_thing=re.compile(r"(?:the|a|an|\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|fifty|"
                       r"hundred)\s", re.IGNORECASE),
    counted=re.compile(r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|fifty|hundred)"
                       r"\s+(?:[a-z]+\s+){0,2}[a-z]+s(?:\s+of\s+(?:[a-z]+\s+)?[a-z]+)?\b", re.IGNORECASE),
    subject=re.compile(r"^(?:(?:and|then|so)\s+)?(?:we|you|they|i)(?:'ll|'d| will| should| could| can| need to)?\s+",
                       re.IGNORECASE),
    base_form=_english_base_form,
    determiner=re.compile(r"^(?:the|our|a|an|this|today's|my|your|their)\s+", re.IGNORECASE),
    own=re.compile(r"\b(?:our|my)\b", re.IGNORECASE),
    own_as="the",
    self_reference=re.compile(r",?\s+(?:and|but|so)\s+(?:we|i|you)\b.*$", re.IGNORECASE),
    particles=frozenset({"about", "over", "through", "on", "up", "out", "with", "at", "to"}),
    should_be=re.compile(r"\sshould (?:be|stay|remain)\s"),
    noun_first=re.compile(r"^(?:the|a|an|our|this|that|these|those)\b", re.IGNORECASE),
    or_=re.compile(r",?\s+or\s+"),
    good_question=re.compile(r"\bgood question\b"),
    capitalises_nouns=False,
    title_style="title",
)
