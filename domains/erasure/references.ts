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
  // added with live transcription: walked only by erasures started since (LIVE_SESSION_COLUMNS_PATCH)
  ['mod_scaiecho_stream_session', 'user_id'],
  ['mod_scaiecho_webrtc_session', 'user_id'],
] as const satisfies readonly (readonly [string, string] | readonly [string, string, readonly string[]])[];

/**
 * An erasure whose history was written before the live-session columns were
 * listed walks only the columns before them: its replay must schedule the
 * same steps it did.
 */
export const LIVE_SESSION_COLUMNS_PATCH = 'erasure-live-session-references';
export const COLUMNS_BEFORE_LIVE_SESSIONS = REFERENCE_COLUMNS.length - 2;

/**
 * Tables the erasure itself writes and keeps: its record. A destroyed payload
 * key's row is one too: it says a key of the user's existed and when it was
 * destroyed, and holds no key any more (lib/codec/payload-keys.ts).
 */
export const ERASURE_RECORD_TABLES = ['wave_user_erasures', 'wave_user_erasure_receipts', 'mod_scaiecho_erasure_audit', 'payload_keys'] as const;
