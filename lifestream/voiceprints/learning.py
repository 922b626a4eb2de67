"""Learning voices from named speakers, and unlearning them when a name turns out wrong.

A speaker's voice is learned when the speaker is linked to a member of the chat by something other
than their voice: a person named them (a rename), or a name heard in the recording fits exactly one
member. A name given only because the voice matched teaches nothing (a voiceprint must not confirm
itself). Whenever a meeting's names change, its contributions are settled again: a person who is no
longer one of its speakers loses what was learned from it; deleting the meeting changes no voiceprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lifestream.models import Meeting
from lifestream.voiceprints.matching import CALIBRATION, Calibration
from lifestream.voiceprints.store import Voiceprint, VoiceprintStore, VoiceSample
from lifestream.voiceprints.voices import MeetingVoices


@dataclass
class Learned:
    learned: list[str] = field(default_factory=list)  # person ids whose voiceprint took this meeting in
    unlearned: list[str] = field(default_factory=list)  # person ids this meeting's sample was taken from


def learnable(meeting: Meeting) -> dict[str, tuple[str, str]]:
    """person id -> (speaker label, name) for the speakers a voice may be learned from."""
    out = {}
    for label in meeting.speakers:
        source = meeting.name_source(label)
        if source is None or not source.person_id:
            continue
        heard = any(
            c.supports and c.source != "voiceprint" and c.person_id == source.person_id for c in source.evidence
        )
        if source.confirmed or heard:
            out[source.person_id] = (label, source.name)
    return out


def learn_from_meeting(
    store: VoiceprintStore,
    workspace: str,
    meeting: Meeting,
    voices: MeetingVoices,
    calibration: Calibration = CALIBRATION,
) -> Learned:
    """Bring the workspace's voiceprints in line with who the meeting's speakers are now."""
    result = Learned()
    wanted = {}
    for person_id, (label, name) in learnable(meeting).items():
        voice = voices.speakers.get(label)
        if voice is not None and voice.seconds >= calibration.min_enroll_seconds:
            wanted[person_id] = (name, voice)
    for existing in store.all(workspace):
        if meeting.meeting_id in existing.meetings and existing.person_id not in wanted:
            store.put(existing.without_meeting(meeting.meeting_id))
            result.unlearned.append(existing.person_id)
    for person_id, (name, voice) in wanted.items():
        found = store.get(workspace, person_id)
        if found is not None and found.forgotten:
            continue  # they asked to be forgotten
        base = found or Voiceprint(workspace=workspace, person_id=person_id, name=name, model=voices.model)
        if base.model != voices.model:  # learned by another embedding model: start again with this one
            base = base.model_copy(update={"model": voices.model, "samples": []})
        store.put(
            base.with_sample(
                VoiceSample(meeting_id=meeting.meeting_id, vector=voice.vector, seconds=voice.seconds), name
            )
        )
        result.learned.append(person_id)
    return result
