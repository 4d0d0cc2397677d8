"""The protocol of the reference engines' Python processes (devstack/python-worker.ts):
once the model is loaded, {"ready": true}; then one JSON answer line per
request line, in order, every failure answered as {"error": "..."}. EOF on
stdin (the node went away, however it died) ends the process.
"""

import json
import sys
from typing import Callable


def serve(answer: Callable[[dict], dict]) -> None:
    reply({"ready": True})
    for line in sys.stdin:
        try:
            reply(answer(json.loads(line)))
        except Exception as err:  # noqa: BLE001 - the caller gets every failure as an answer
            reply({"error": f"{type(err).__name__}: {err}"})


def reply(answer: dict) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
