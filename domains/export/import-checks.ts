import type { z } from 'zod';
import { subjectProblem, MAX_DISPLAY_NAME_CHARS, MAX_EMAIL_CHARS } from '../../lib/tenancy/user-fields.js';
import { ROOM_ROLES } from '../wave/room-access.js';
import { ROOM_KINDS } from '../wave/rooms.js';
import { describeIssues } from './problem-words.js';
import { BUNDLE_PATHS, mediaRecord, messageRecord, roomFile, type BundleFile, type Manifest, type MediaRecord, type MessageRecord, type RoomFile } from './format.js';

// What an import needs of a bundle's content beyond its checksums: records
// that parse, ids and values that fit the columns they go to, every user
// mentioned anywhere listed in room.json (the import maps users by subject),
// and counts that add up to the manifest's. Found before anything is written,
// each problem named by file (and line, for JSON Lines), so a bundle that
// could only be half-imported is refused whole. Memory stays bounded: only
// room.json's users are kept, never a set of every message.

export interface Problem {
  file: string;
  /** 1-based, in JSON Lines files */
  line?: number;
  problem: string;
}

/** Ids are stored in CHAR(36) columns and compared byte for byte: the canonical, lower-case uuid form only. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A MariaDB TEXT column, in bytes. */
const TEXT_BYTES = 65_535;
const LIMITS = { roomName: 255, topic: 1024, memberAction: 16, emoji: 64, fileName: 255, contentType: 127 } as const;


/** What the content holds, to compare with the manifest's counts. */
interface Tally {
  messages: number;
  revisions: number;
  tombstones: number;
  reactions: number;
  media: number;
  mediaIncluded: number;
}

/**
 * Checks one bundle's content, fed file by file in archive order (room.json
 * before the messages and media that refer to its users).
 */
export class BundleContentCheck {
  private readonly problems: Problem[] = [];
  private users: Set<string> | null = null;
  private members = 0;
  private readonly tally: Tally = { messages: 0, revisions: 0, tombstones: 0, reactions: 0, media: 0, mediaIncluded: 0 };
  private readonly listed: Map<string, BundleFile>;

  constructor(private readonly manifest: Manifest) {
    this.listed = new Map(manifest.files.map((f) => [f.path, f]));
    if (!UUID.test(manifest.exportId)) this.report(BUNDLE_PATHS.manifest, 'exportId: not a uuid');
    if (!UUID.test(manifest.room.id)) this.report(BUNDLE_PATHS.manifest, 'room.id: not a uuid');
    if (!this.listed.has(BUNDLE_PATHS.room)) this.report(BUNDLE_PATHS.manifest, `lists no ${BUNDLE_PATHS.room}`);
  }

  report(file: string, problem: string, line?: number): void {
    this.problems.push({ file, ...(line === undefined ? {} : { line }), problem });
  }

  roomJson(text: string): RoomFile | null {
    const parsed = parseJson(text, roomFile);
    if ('problem' in parsed) {
      this.report(BUNDLE_PATHS.room, parsed.problem);
      return null;
    }
    const r = parsed.value;
    const bad = (problem: string) => this.report(BUNDLE_PATHS.room, problem);
    if (r.room.id !== this.manifest.room.id) bad(`room.id ${r.room.id} is not the manifest's room ${this.manifest.room.id}`);
    if (!(ROOM_KINDS as readonly string[]).includes(r.room.kind)) bad(`room.kind: unknown kind "${r.room.kind}"`);
    if (r.room.visibility !== 'public' && r.room.visibility !== 'private') bad(`room.visibility: unknown "${r.room.visibility}"`);
    if (r.room.name !== null && r.room.name.length > LIMITS.roomName) bad(`room.name: longer than ${LIMITS.roomName} characters`);
    if (r.room.topic !== null && r.room.topic.length > LIMITS.topic) bad(`room.topic: longer than ${LIMITS.topic} characters`);
    // Users' ids are the source's and never stored here: they are mapped by subject.
    r.users.forEach((u, i) => {
      const subject = subjectProblem(u.subject);
      if (subject) bad(`users[${i}].subject ${subject}`);
      if (u.displayName !== null && u.displayName.length > MAX_DISPLAY_NAME_CHARS) bad(`users[${i}].displayName: too long`);
      if (u.email !== null && u.email.length > MAX_EMAIL_CHARS) bad(`users[${i}].email: too long`);
    });
    this.users = new Set(r.users.map((u) => u.id));
    const known = (what: string, id: string) => {
      if (!this.users!.has(id)) bad(`${what}: user ${id} is not in users`);
    };
    known('room.createdById', r.room.createdById);
    r.members.forEach((m, i) => {
      known(`members[${i}].userId`, m.userId);
      if (!(ROOM_ROLES as readonly string[]).includes(m.role)) bad(`members[${i}].role: unknown role "${m.role}"`);
    });
    r.membershipLog.forEach((l, i) => {
      known(`membershipLog[${i}].userId`, l.userId);
      known(`membershipLog[${i}].actorId`, l.actorId);
      if (l.action.length > LIMITS.memberAction) bad(`membershipLog[${i}].action: longer than ${LIMITS.memberAction} characters`);
      if (l.role !== null && !(ROOM_ROLES as readonly string[]).includes(l.role)) bad(`membershipLog[${i}].role: unknown role "${l.role}"`);
    });
    this.members = r.members.length;
    return r;
  }

  messageLine(file: string, line: number, text: string): void {
    const parsed = parseJson(text, messageRecord);
    if ('problem' in parsed) return this.report(file, parsed.problem, line);
    const m: MessageRecord = parsed.value;
    const bad = (problem: string) => this.report(file, problem, line);
    if (!UUID.test(m.id)) bad('id: not a uuid');
    if (m.threadParentId !== null && !UUID.test(m.threadParentId)) bad('threadParentId: not a uuid');
    if (m.body !== null && Buffer.byteLength(m.body) > TEXT_BYTES) bad(`body: longer than ${TEXT_BYTES} bytes`);
    if ((m.body === null) !== (m.deleted !== null)) bad('body: null exactly when the message is deleted');
    for (const r of m.revisions) if (r.body !== null && Buffer.byteLength(r.body) > TEXT_BYTES) bad(`revisions: a body longer than ${TEXT_BYTES} bytes`);
    for (const r of m.reactions) if (r.emoji.length > LIMITS.emoji) bad(`reactions: an emoji longer than ${LIMITS.emoji} characters`);
    const ids = [m.authorId, ...m.mentions, ...m.revisions.map((r) => r.editorId), ...m.reactions.map((r) => r.userId), ...(m.deleted ? [m.deleted.byId] : [])];
    this.unknownUsers(ids, bad);
    this.tally.messages++;
    this.tally.revisions += m.revisions.length;
    this.tally.reactions += m.reactions.length;
    if (m.deleted) this.tally.tombstones++;
  }

  mediaLine(line: number, text: string): void {
    const file = BUNDLE_PATHS.media;
    const parsed = parseJson(text, mediaRecord);
    if ('problem' in parsed) return this.report(file, parsed.problem, line);
    const m: MediaRecord = parsed.value;
    const bad = (problem: string) => this.report(file, problem, line);
    if (!UUID.test(m.id)) bad('id: not a uuid');
    if (m.fileName !== null && m.fileName.length > LIMITS.fileName) bad(`fileName: longer than ${LIMITS.fileName} characters`);
    if (m.contentType.length > LIMITS.contentType) bad(`contentType: longer than ${LIMITS.contentType} characters`);
    if (m.path !== null) {
      const listed = m.path.startsWith('media/') ? this.listed.get(m.path) : undefined;
      if (!listed) bad(`path: ${m.path} is not a media file the manifest lists`);
      else if (listed.bytes !== m.bytes || listed.sha256 !== m.sha256) bad(`bytes, sha256: not those the manifest lists for ${m.path}`);
    }
    this.unknownUsers([m.ownerId], bad);
    this.tally.media++;
    if (m.path !== null) this.tally.mediaIncluded++;
  }

  private unknownUsers(ids: string[], bad: (problem: string) => void): void {
    if (!this.users) return; // room.json was refused already
    const unknown = [...new Set(ids.filter((id) => !this.users!.has(id)))];
    if (unknown.length > 0) bad(`users not in ${BUNDLE_PATHS.room}: ${unknown.slice(0, 5).join(', ')}`);
  }

  /** Every problem found, the counts compared last. */
  finish(): Problem[] {
    const c = this.manifest.counts;
    const t = this.tally;
    const expected: [keyof Tally | 'members', number, number][] = [
      ['messages', c.messages, t.messages],
      ['revisions', c.revisions, t.revisions],
      ['tombstones', c.tombstones, t.tombstones],
      ['reactions', c.reactions, t.reactions],
      // Without room.json's records there are no members to count: it is reported already.
      ['members', c.members, this.users ? this.members : c.members],
      ['media', c.media, t.media],
      ['mediaIncluded', c.mediaIncluded, t.mediaIncluded],
    ];
    for (const [what, listed, found] of expected) {
      if (listed !== found) this.report(BUNDLE_PATHS.manifest, `counts.${what} is ${listed} but the bundle holds ${found}`);
    }
    return this.problems;
  }
}

function parseJson<T>(text: string, schema: z.ZodType<T>): { value: T } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'not valid JSON' };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { value: parsed.data } : { problem: describeIssues(parsed.error.issues) };
}
