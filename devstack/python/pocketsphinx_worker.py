"""Incremental pocketsphinx decoding for live partials (devstack/stt/incremental.ts).

One process, one loaded acoustic model, one decoder per live utterance, fed
as the audio arrives instead of decoding the whole utterance again each time.
json_lines requests:
  {"id": s, "pcm": "<base64 16 kHz s16le mono>"} -> {"text": hypothesis so far}
  {"id": s, "end": true}                        -> {}  (the utterance's decoder freed)
"""

import base64

from pocketsphinx import Config, Decoder

from json_lines import serve


def main() -> None:
    config = Config(loglevel="FATAL")
    decoders: dict[str, Decoder] = {}
    # A Decoder loads the model (a quarter of a second): an ended utterance's
    # decoder waits here for the next one instead of being made anew.
    idle: list[Decoder] = [Decoder(config)]

    def answer(request: dict) -> dict:
        sid = request["id"]
        if request.get("end"):
            decoder = decoders.pop(sid, None)
            if decoder is not None:
                decoder.end_utt()
                idle.append(decoder)
            return {}
        decoder = decoders.get(sid)
        if decoder is None:
            decoder = decoders[sid] = idle.pop() if idle else Decoder(config)
            decoder.start_utt()
        decoder.process_raw(base64.b64decode(request["pcm"]), False, False)
        hyp = decoder.hyp()
        return {"text": hyp.hypstr if hyp else ""}

    serve(answer)


if __name__ == "__main__":
    main()
