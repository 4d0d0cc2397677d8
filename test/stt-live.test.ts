import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../devstack/ports.js';
import type { NodeProcess } from '../devstack/node-process.js';
import { startSttNodeProcess } from '../devstack/stt-node/process.js';
import { parseWavHeader } from '../lib/audio/wav.js';
import { loadSpeechToText, type TranscribeRequest, type TranscribeResponse, type TranscribeResult, type TranscriptDelta } from '../lib/scaiinfer/stt/stt-proto.js';
import { speak, spokenWords } from './support/speech.js';

// A live Transcribe call to the reference STT node, as the streaming route
// makes it: raw PCM sent as it is spoken, partials while an utterance goes on,
// a final per utterance after its pause, the result at half-close. On both
// real engines: pocketsphinx alone, and Whisper (its partials from
// pocketsphinx), whose finals are the words spoken.

const logDir = process.env.SCAIWAVE_TEST_LOG_DIR ?? os.tmpdir();
const FIRST = 'the quick brown fox jumps over the lazy dog and runs into the forest';
const SECOND = 'green apples on the kitchen table';

/** Two spoken phrases with a second of silence between, as 16 kHz mono PCM without a header. */
function twoUtterances(): Buffer {
  const base = `${os.tmpdir()}/stt-live-${randomBytes(3).toString('hex')}`;
  // The first phrase, a second of nothing, the second phrase.
  execFileSync('sox', [speak(FIRST), `${base}-gap.wav`, 'pad', '0', '1']);
  const both = `${base}-both.wav`;
  execFileSync('sox', [`${base}-gap.wav`, speak(SECOND), both]);
  const wav = fs.readFileSync(both);
  const info = parseWavHeader(wav)!;
  expect(info).toMatchObject({ sampleRate: 16_000, channels: 1, bitsPerSample: 16 });
  return wav.subarray(wav.length - info.dataBytes);
}

describe.each(['pocketsphinx', 'whisper'] as const)('STT node on %s: a live call', (engine) => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startSttNodeProcess({
      nodeId: `stt-live-${randomBytes(3).toString('hex')}`,
      engine,
      registryUrl: `http://127.0.0.1:${await freePort()}`,
      registryToken: 'test-token',
      heartbeatMs: 1000,
      logDir,
    });
  }, 60_000);
  afterAll(async () => {
    await node?.process.stop(5000);
  });

  it('answers partials while the speech goes on, a final per utterance, and the result at half-close', async () => {
    const pcm = twoUtterances();
    const Client = loadSpeechToText();
    const client = new Client(node.grpcAddress, credentials.createInsecure()) as unknown as {
      Transcribe(): ClientDuplexStream<TranscribeRequest, TranscribeResponse>;
      close(): void;
    };
    const deltas: TranscriptDelta[] = [];
    let result: TranscribeResult | undefined;
    try {
      const call = client.Transcribe();
      const ended = new Promise<void>((resolve, reject) => {
        call.on('data', (m: TranscribeResponse) => {
          if (m.payload === 'delta') deltas.push(m.delta);
          else if (m.payload === 'result') result = m.result;
        });
        call.on('error', reject);
        call.on('end', resolve);
      });
      call.write({ config: { jobId: 'live-test', language: 'en', temperature: 0, audioFormat: '', live: true, sampleRateHz: 16_000 } });
      // Sent at the pace it was spoken, 100 ms at a time, as a microphone would.
      const chunk = 3200;
      for (let at = 0; at < pcm.length; at += chunk) {
        call.write({ audio: pcm.subarray(at, at + chunk) });
        await new Promise((r) => setTimeout(r, 100));
      }
      call.end();
      await ended;
    } finally {
      client.close();
    }

    const finals = deltas.filter((d) => d.isFinal);
    const firstFinal = deltas.findIndex((d) => d.isFinal);
    expect(finals.map((f) => f.text), JSON.stringify(deltas)).toHaveLength(2);
    // Partials came while the first phrase was still being spoken, before its final.
    expect(deltas.slice(0, firstFinal).length, JSON.stringify(deltas)).toBeGreaterThan(0);
    expect(deltas.slice(0, firstFinal).every((d) => !d.isFinal && d.text.length > 0)).toBe(true);
    if (engine === 'whisper') {
      expect(finals.map((f) => spokenWords(f.text))).toEqual([FIRST, SECOND]);
    } else {
      expect(finals[0]!.text).toMatch(/quick brown fox/);
      expect(finals[1]!.text).toMatch(/apples/);
    }
    // Positions in the audio (from the samples, not the clock): the second phrase comes after the first.
    expect(finals[0]!.endMs).toBeLessThan(finals[1]!.startMs);
    expect(result!.text).toBe(`${finals[0]!.text} ${finals[1]!.text}`);
    expect(result!.segments.map((s) => s.text)).toEqual(finals.map((f) => f.text));
    // The node's count of the audio it was sent, in samples: within one 20 ms frame of the bytes sent.
    expect(Math.abs(result!.audioDurationMs - (pcm.length / 32_000) * 1000)).toBeLessThanOrEqual(20);
  }, 120_000);
});
