"""Stage 4: scene cuts (PySceneDetect's content detector) and one keyframe JPEG per scene."""

from __future__ import annotations

import logging
from pathlib import Path

from lifestream.errors import MediaError
from lifestream.models import Scene


def detect_scenes(
    video_path: Path,
    keyframe_dir: Path,
    *,
    frame_skip: int = 2,
    threshold: float = 27.0,
    keyframe_width: int = 480,
    relative_to: Path | None = None,
) -> list[Scene]:
    import cv2
    from scenedetect import ContentDetector, SceneManager, open_video
    from scenedetect.video_stream import VideoOpenFailure

    # The audio branch runs beside this one; OpenCV's own thread pool would
    # fight it for the same cores.
    cv2.setNumThreads(1)
    # PySceneDetect logs every run at INFO through its own handler.
    logging.getLogger("pyscenedetect").setLevel(logging.WARNING)
    try:
        video = open_video(str(video_path), backend="opencv")
    except (VideoOpenFailure, OSError) as exc:
        raise MediaError(f"{video_path.name}: the video track cannot be decoded ({exc}).") from exc

    manager = SceneManager()
    manager.add_detector(ContentDetector(threshold=threshold))
    manager.detect_scenes(video, frame_skip=max(0, frame_skip))
    # start_in_scene: a video with no cut is one scene, not none.
    scene_list = manager.get_scene_list(start_in_scene=True)

    keyframe_dir.mkdir(parents=True, exist_ok=True)
    scenes: list[Scene] = []
    for index, (start, end) in enumerate(scene_list):
        middle = start.get_frames() + max(0, (end.get_frames() - start.get_frames()) // 2)
        keyframe, keyframe_time = _save_keyframe(video, middle, keyframe_dir / f"scene-{index:04d}.jpg", keyframe_width)
        if keyframe is not None and relative_to is not None:
            keyframe = keyframe.relative_to(relative_to)
        scenes.append(Scene(
            index=index,
            start=round(start.get_seconds(), 3),
            end=round(end.get_seconds(), 3),
            keyframe=str(keyframe) if keyframe else None,
            keyframe_time=keyframe_time,
        ))
    return scenes


def _save_keyframe(video, frame_number: int, path: Path, width: int) -> tuple[Path | None, float | None]:
    import cv2

    video.seek(frame_number)
    frame = video.read()
    if frame is False or frame is None:
        return None, None
    height, current_width = frame.shape[:2]
    if current_width > width:
        frame = cv2.resize(frame, (width, round(height * width / current_width)), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return None, None
    path.write_bytes(encoded.tobytes())
    return path, round(frame_number / video.frame_rate, 3)
