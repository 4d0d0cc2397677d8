"""Resemblyzer's d-vectors (GE2E speaker encoder, 256 values), for the reference
diarization node (devstack/diarize-node/d-vector.ts).

Loads the encoder once, then answers json_lines requests
{"pcm": "<base64 of 16 kHz mono s16le>"} -> {"embedding": [...]}, or
{"speech_ms": n} when too little of it is speech.
"""

import base64

import numpy as np
from resemblyzer import VoiceEncoder, preprocess_wav

from json_lines import serve

RATE = 16000
# Below this much speech left after the silences are trimmed, a d-vector says
# more about the noise than the voice.
MIN_SPEECH_MS = 500


def main() -> None:
    encoder = VoiceEncoder("cpu", verbose=False)
    # librosa's kernels compile on first use (numba; cached on disk across
    # runs): do it before saying ready, not inside the first caller's request.
    encoder.embed_utterance(preprocess_wav(np.random.default_rng(0).standard_normal(RATE).astype(np.float32) * 0.1, source_sr=RATE))
    serve(lambda request: embed(encoder, request["pcm"]))


def embed(encoder: VoiceEncoder, pcm_b64: str) -> dict:
    pcm = np.frombuffer(base64.b64decode(pcm_b64), dtype="<i2").astype(np.float32) / 32768
    wav = preprocess_wav(pcm, source_sr=RATE)
    speech_ms = round(len(wav) * 1000 / RATE)
    if speech_ms < MIN_SPEECH_MS:
        return {"speech_ms": speech_ms}
    return {"embedding": encoder.embed_utterance(wav).tolist()}


if __name__ == "__main__":
    main()
