import type { JetStreamManager, NatsConnection } from 'nats';
import { RetentionPolicy, StorageType } from 'nats';
import type { Config } from '../config.js';
import { streamName, subject } from '../infra/nats.js';

export interface StreamSpec {
  name: string;
  subjects: string[];
  maxAgeMs: number;
  /** Publishes with the same Nats-Msg-Id inside this window are stored once. */
  duplicateWindowMs: number;
}

export const scaiechoJobsStream: StreamSpec = {
  name: 'SCAIECHO_JOBS',
  subjects: ['scaiecho.jobs.>'],
  maxAgeMs: 30 * 24 * 3600 * 1000,
  duplicateWindowMs: 24 * 3600 * 1000,
};

/** Compliance work that finished: `compliance.exports.{tenant}.completed`, `compliance.erasures.{tenant}.completed` (ids only). */
export const complianceEventsStream: StreamSpec = {
  name: 'COMPLIANCE_EVENTS',
  subjects: ['compliance.>'],
  maxAgeMs: 30 * 24 * 3600 * 1000,
  duplicateWindowMs: 24 * 3600 * 1000,
};

const ns = (ms: number): number => ms * 1_000_000;

/** Creates or updates a stream so every process can call it at start without coordination. */
export async function ensureStream(nc: NatsConnection, config: Config, spec: StreamSpec): Promise<void> {
  const jsm: JetStreamManager = await nc.jetstreamManager();
  const cfg = {
    name: streamName(config, spec.name),
    subjects: spec.subjects.map((s) => subject(config, s)),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: ns(spec.maxAgeMs),
    duplicate_window: ns(spec.duplicateWindowMs),
  };
  try {
    await jsm.streams.info(cfg.name);
    await jsm.streams.update(cfg.name, cfg);
  } catch (err) {
    if (!String((err as Error).message).includes('not found')) throw err;
    await jsm.streams.add(cfg);
  }
}

/** Publishes once per msgId: a retried publisher inside the duplicate window is acknowledged, not stored again. */
export async function publishOnce(
  nc: NatsConnection,
  config: Config,
  subj: string,
  msgId: string,
  payload: unknown,
): Promise<{ duplicate: boolean; seq: number }> {
  const ack = await nc.jetstream().publish(subject(config, subj), JSON.stringify(payload), { msgID: msgId });
  return { duplicate: ack.duplicate, seq: ack.seq };
}
