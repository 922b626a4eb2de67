"""Stages 4 and 5: scene cuts with keyframes, and chunks cut at sentence ends that scenes only enrich."""

from __future__ import annotations

import cv2

from lifestream.models import Scene, Segment
from lifestream.pipeline.chunking import make_chunks
from lifestream.pipeline.scenes import detect_scenes


def test_scene_cuts_and_keyframes(sample_video, tmp_path):
    scenes = detect_scenes(sample_video, tmp_path / "keyframes", frame_skip=2, relative_to=tmp_path)
    # four test patterns, 7.5 s each
    assert len(scenes) == 4
    for scene, expected_start in zip(scenes, (0.0, 7.5, 15.0, 22.5)):
        assert abs(scene.start - expected_start) < 0.25
        assert scene.start <= scene.keyframe_time <= scene.end
        image = cv2.imread(str(tmp_path / scene.keyframe))
        assert image is not None and image.shape[1] <= 480
    # each keyframe shows its own pattern
    first, second = (cv2.imread(str(tmp_path / s.keyframe)) for s in scenes[:2])
    assert abs(first.astype(int) - second.astype(int)).mean() > 20


def _segments(spec):
    return [Segment(id=i, start=s, end=e, text=t, speaker=sp) for i, (s, e, t, sp) in enumerate(spec)]


def test_chunks_cut_at_sentence_ends_near_the_target():
    segs = _segments([
        (0, 4, "We start with the budget.", "A"),
        (4, 9, "It is larger than last year and", "A"),      # no sentence end here
        (9, 11, "that worries me.", "A"),
        (11, 19, "Then the hiring plan.", "A"),
        (19, 25, "Two engineers.", "A"),
    ])
    chunks = make_chunks(segs, [], duration=25, chunk_seconds=10)
    # the ideal cut (10 s) falls mid-sentence; it moves to the sentence end at 11 s
    assert [c.segment_ids for c in chunks][0] == [0, 1, 2]
    assert chunks[0].end == 11 and chunks[1].start == 11
    assert chunks[-1].end == 25
    assert sum(len(c.segment_ids) for c in chunks) == len(segs)


def test_turn_changes_are_cut_points_too():
    segs = _segments([(0, 6, "so we could maybe", "A"), (6, 10, "yes and then", "B"), (10, 20, "more", "B")])
    chunks = make_chunks(segs, [], duration=20, chunk_seconds=7)
    assert chunks[0].segment_ids == [0]


def test_scenes_enrich_chunks_but_do_not_cut_them():
    segs = _segments([(0, 290, "First part and", "A"), (290, 310, "still talking.", "A"), (310, 600, "Second part.", "B")])
    scenes = [Scene(index=0, start=0, end=295, keyframe="k0.jpg", keyframe_time=150),
              Scene(index=1, start=295, end=600, keyframe="k1.jpg", keyframe_time=450)]
    chunks = make_chunks(segs, scenes, duration=600, chunk_seconds=300)
    assert [c.end for c in chunks] == [310, 600]  # the scene change at 295 s did not cut
    assert chunks[0].scene_indexes == [0, 1] and chunks[0].keyframes == ["k0.jpg"]
    assert chunks[1].keyframes == ["k1.jpg"]


def test_a_default_chunk_is_five_minutes():
    segs = _segments([(i * 10, i * 10 + 9, f"Sentence {i}.", "A") for i in range(100)])
    chunks = make_chunks(segs, [], duration=1000)
    assert [round(c.end) for c in chunks][:3] == [299, 599, 899]
