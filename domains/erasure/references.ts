// The columns that go on naming an erased user once their content is gone:
// each is rewritten to the pseudonym, so what others did stays whole (a room's
// members and history, a usage figure, who requested an export) and names
// nobody. Pure: the workflow walks it. Left out on purpose:
// mod_scaiecho_erasure_audit.requested_by_user_id and wave_user_erasures are
// records of erasures, kept as the proof and refused any change by the
// database; the completeness scan (trace-scan.ts) excludes them and says so.
export const REFERENCE_COLUMNS = [
  ['wave_workspaces', 'created_by_id'],
  ['wave_rooms', 'created_by_id'],
  ['wave_room_members', 'user_id'],
  ['wave_room_member_log', 'user_id'],
  ['wave_room_member_log', 'actor_id'],
  ['wave_messages', 'deleted_by_id'],
  ['wave_message_revisions', 'editor_id'],
  ['wave_exports', 'requested_by_id'],
  ['wave_imports', 'requested_by_id'],
  ['usage_daily', 'user_id'],
  ['usage_budgets', 'user_id'],
  // what a request said of its sender goes with the sender
  ['audit_log', 'user_id', ['ip', 'user_agent']],
  ['mod_scaiecho_speaker_profile', 'created_by_user_id'],
  ['mod_scaiecho_speaker_consent', 'captured_by_user_id'],
  ['mod_scaiecho_speaker_consent', 'withdrawn_by_user_id'],
  ['mod_scaiecho_speaker_erasure', 'requested_by_user_id'],
  // added with live transcription: walked only by erasures started since (REFERENCE_COLUMN_PATCHES)
  ['mod_scaiecho_stream_session', 'user_id'],
  ['mod_scaiecho_webrtc_session', 'user_id'],
  // added with job deletion
  ['mod_scaiecho_job_deletion', 'requested_by_user_id'],
] as const satisfies readonly (readonly [string, string] | readonly [string, string, readonly string[]])[];

/**
 * Columns listed after erasures first ran, each group behind the patch that
 * added it, in order: an erasure whose history was written before a patch
 * walks only the columns it knew, so its replay schedules the same steps.
 */
export const REFERENCE_COLUMN_PATCHES = [
  { patch: 'erasure-live-session-references', columns: REFERENCE_COLUMNS.length - 1 },
  { patch: 'erasure-job-deletion-references', columns: REFERENCE_COLUMNS.length },
] as const;
export const COLUMNS_BEFORE_PATCHES = REFERENCE_COLUMNS.length - 3;

/**
 * Tables the erasure itself writes and keeps: its record. A destroyed payload
 * key's row is one too: it says a key of the user's existed and when it was
 * destroyed, and holds no key any more (lib/codec/payload-keys.ts).
 */
export const ERASURE_RECORD_TABLES = ['wave_user_erasures', 'wave_user_erasure_receipts', 'mod_scaiecho_erasure_audit', 'payload_keys'] as const;
