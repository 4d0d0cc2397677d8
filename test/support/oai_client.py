"""The official Python openai package against the OpenAI-compatible route (test/oai-transcriptions.test.ts).

Usage: oai_client.py <base url, …/oai/v1> <sgk_ key> <wav>. Prints one JSON
line: the verbose_json text and its segment count, and the text the streamed
events add up to.
"""

import json
import sys

from openai import OpenAI


def main() -> None:
    base_url, key, wav = sys.argv[1:4]
    client = OpenAI(api_key=key, base_url=base_url, max_retries=0)
    with open(wav, "rb") as f:
        verbose = client.audio.transcriptions.create(
            file=f, model="whisper-1", response_format="verbose_json", timestamp_granularities=["segment"]
        )
    with open(wav, "rb") as f:
        events = list(client.audio.transcriptions.create(file=f, model="whisper-1", stream=True))
    streamed = "".join(e.delta for e in events if e.type == "transcript.text.delta")
    assert events[-1].type == "transcript.text.done" and events[-1].text == streamed
    print(json.dumps({"text": verbose.text, "segments": len(verbose.segments or []), "streamed": streamed}))


if __name__ == "__main__":
    main()
