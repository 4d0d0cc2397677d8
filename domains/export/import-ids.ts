import { v5 } from 'uuid';

// The ids an import gives what it writes, each a pure function of what it is
// given (uuid v5, RFC 9562 §5.5): a step repeated after a crash, the same
// bundle imported again, and a later export of the same room imported into the
// same workspace all arrive at the same rows. Pure: the workflow imports it.

// One namespace per kind of id. Never change them: every earlier import's ids depend on them.
const NAMESPACE = {
  import: '92bd0894-218e-4f36-b462-2ff005cd826c',
  room: '376ce11d-1dc9-4c2a-997b-44a90fecf17e',
  message: 'b05c55da-190e-434e-b770-dd1b7dfa0e05',
  media: 'f694e41b-71e7-49a2-a9d8-80b0302eb184',
} as const;

/** The same bundle (by its sha256) sent to the same workspace is the same import. */
export const importIdOf = (workspaceId: string, bundleSha256: string): string => v5(`${workspaceId}/${bundleSha256}`, NAMESPACE.import);

/** Every bundle of one source room imported into one workspace lands in one room. */
export const importedRoomId = (workspaceId: string, sourceRoomId: string): string => v5(`${workspaceId}/${sourceRoomId}`, NAMESPACE.room);

/**
 * A message keeps its own id unless another room holds a message with it (the
 * bundle is imported back into the deployment that still has the originals):
 * then it gets this one, fixed by the target room and the original id, so its
 * replies and reactions, and later imports, find it again.
 */
export const renamedMessageId = (roomId: string, originalId: string): string => v5(`${roomId}/${originalId}`, NAMESPACE.message);

/** The same rule for media: a file keeps its id unless another room's file has it. */
export const renamedMediaId = (roomId: string, originalId: string): string => v5(`${roomId}/${originalId}`, NAMESPACE.media);

/**
 * Which id a record of the bundle gets in the target room, given where the
 * candidate ids are already used (id → room id). A row already restored under
 * either id keeps it; otherwise the original id unless another room uses it.
 */
export function assignedId(originalId: string, renamedId: string, targetRoomId: string, usedIn: ReadonlyMap<string, string>): string {
  if (usedIn.get(renamedId) === targetRoomId) return renamedId;
  const holder = usedIn.get(originalId);
  return holder === undefined || holder === targetRoomId ? originalId : renamedId;
}
