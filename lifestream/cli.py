"""The ``lifestream`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from lifestream.errors import LifeStreamError
from lifestream.threads import cap_threads


class _ProgressBars:
    """One tqdm bar per stage on a terminal; nothing at all when not a TTY."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._bars: dict = {}

    def __call__(self, event) -> None:
        bar = self._bars.get(event.stage)
        if event.state == "skipped":
            return
        if bar is None:
            bar = self._bars[event.stage] = self._tqdm(
                total=100, desc=f"{event.stage:<11}", unit="%", leave=True, file=sys.stderr,
                bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}",
            )
        bar.n = int(round(event.fraction * 100))
        bar.refresh()
        if event.state == "finished":
            bar.close()


def _cmd_process(args: argparse.Namespace) -> int:
    from lifestream.pipeline.outputs import minutes_markdown
    from lifestream.pipeline.runner import process_recording
    from lifestream.settings import get_settings

    settings = get_settings()
    if args.language:
        settings = settings.model_copy(update={"asr_language": args.language})
    if args.data_dir:
        settings = settings.model_copy(update={"data_dir": Path(args.data_dir)})
    progress = _ProgressBars() if sys.stderr.isatty() and not args.quiet else None
    meeting = process_recording(Path(args.path), settings=settings, num_speakers=args.speakers, on_event=progress)
    result_dir = settings.results_dir / meeting.meeting_id
    if args.json:
        print(meeting.model_dump_json(indent=2))
    else:
        print(minutes_markdown(meeting))
        print(f"Results: {result_dir}", file=sys.stderr)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from lifestream.pipeline.asr_models import BUILTIN_MODELS, verify_asr_model
    from lifestream.settings import get_settings

    settings = get_settings()
    for name in BUILTIN_MODELS:
        print(verify_asr_model(name, settings.model_dir))
    if args.diarization:
        from lifestream.pipeline.diarization import get_diarizer

        get_diarizer(settings.diarization_backend, None)
        print(f"diarization: {settings.diarization_backend} loads")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    from lifestream.samples import make_sample_video, sample_file

    if args.video:
        print(make_sample_video(Path(args.video)))
    else:
        print(sample_file("sample.wav"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifestream", description="Meeting recordings in, minutes out.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("process", help="process one recording and print its minutes")
    p.add_argument("path", help="a video or audio file (mp4, mov, mkv, webm, m4a, mp3, wav, ogg)")
    p.add_argument("--speakers", type=int, default=None, metavar="N", help="number of speakers, if known")
    p.add_argument("--language", default=None, help="spoken language code (default: detected)")
    p.add_argument("--data-dir", default=None, help="overrides LIFESTREAM_DATA_DIR")
    p.add_argument("--json", action="store_true", help="print meeting.json instead of the minutes")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_process)

    p = sub.add_parser("models", help="assemble and verify the bundled models")
    p.add_argument("--diarization", action="store_true", help="also load the diarization models")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("sample", help="print the sample recording's path, or make the sample video")
    p.add_argument("--video", metavar="OUT.mp4", help="write the sample video here")
    p.set_defaults(func=_cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cap_threads()
    if getattr(args, "speakers", None) is not None and args.speakers < 1:
        print("lifestream: error: --speakers must be 1 or more", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except LifeStreamError as exc:
        print(f"lifestream: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lifestream: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
