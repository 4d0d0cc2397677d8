import { z } from 'zod';
import { ERASURE_REASONS, ERASURE_STATUSES, EVICTION_OUTCOMES } from './erasures.js';
import { SPEAKER_STATUSES } from './speakers.js';

/** Enrolled speakers, their warm registry and their erasures as callers see them (domains/speakers/speakers.ts, erasures.ts). */

const quality = z
  .object({
    duration_ms: z.number(),
    sample_rate: z.number().int(),
    speech_ratio: z.number().meta({ description: 'share of 25 ms frames loud enough to be speech' }),
    clipped_ratio: z.number().meta({ description: 'share of samples at or next to full scale' }),
    speech_level_dbfs: z.number().meta({ description: 'average level of the speech frames, dB relative to full scale' }),
  })
  .meta({ id: 'SpeechQuality' });

export const speaker = z
  .object({
    speaker_id: z.string(),
    display_name: z.string().nullable().meta({ description: 'null once erased' }),
    enrollment_status: z.enum(SPEAKER_STATUSES),
    status_reason: z.string().nullable(),
    quality: quality.nullable(),
    consent: z
      .object({
        text_version: z.string(),
        captured_by: z.string().meta({ description: 'user id' }),
        captured_at: z.iso.datetime(),
        withdrawn_at: z.iso.datetime().nullable(),
      })
      .nullable(),
    erasure_id: z.string().nullable(),
    created_at: z.iso.datetime(),
    ready_at: z.iso.datetime().nullable(),
    erased_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Speaker' });

export const erasure = z
  .object({
    erasure_id: z.string(),
    speaker_id: z.string(),
    reason: z.enum(ERASURE_REASONS),
    status: z.enum(ERASURE_STATUSES),
    requested_at: z.iso.datetime(),
    audited_at: z.iso.datetime().nullable(),
    tombstoned_at: z.iso.datetime().nullable(),
    completed_at: z.iso.datetime().nullable(),
    objects_deleted: z.number().int().nullable(),
    pending_node_ids: z.array(z.string()).nullable().meta({ description: 'null until the nodes to evict from are chosen' }),
    receipt: z.array(
      z.object({ node_id: z.string(), outcome: z.enum(EVICTION_OUTCOMES), acknowledged_at: z.iso.datetime() }),
    ),
    payload_keys_destroyed: z
      .array(z.string())
      .nullable()
      .meta({ description: "ids of the speaker's payload keys destroyed: every Temporal payload sealed under them is unreadable from then on; null until completed" }),
    poll_url: z.string(),
  })
  .meta({ id: 'Erasure' });

export const warmth = z
  .object({
    speaker_id: z.string(),
    warm_node_ids: z.array(z.string()).meta({ description: 'online nodes that confirmed they hold the speaker' }),
    candidate_node_ids: z.array(z.string()).meta({ description: 'online nodes that do not hold it' }),
    stale_node_ids: z.array(z.string()).meta({ description: 'nodes the registry lists that did not confirm' }),
  })
  .meta({ id: 'SpeakerWarmth' });
