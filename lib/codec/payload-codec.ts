import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { open, seal } from './master-keys.js';
import { keyScopeOf } from './key-scope.js';
import type { PayloadKeys } from './payload-keys.js';

// Every payload a client or worker hands Temporal is sealed: the whole Payload
// (its metadata too, which names the encoding) serialised and encrypted with
// AES-256-GCM under the data key of its scope (key-scope.ts); the sealed
// payload says only `binary/encrypted` and the key's id. Payloads written
// before the codec existed are not sealed, and pass through decode as they are,
// so the saved histories and any workflow still running from then replay.

const { Payload: PayloadProto } = proto.temporal.api.common.v1;

export const SEALED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const utf8 = (s: string): Uint8Array => Buffer.from(s);
const text = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString() : '');
const aad = (keyId: string): Buffer => Buffer.from(`scaiwave-payload:${keyId}`);

export const isSealed = (p: Payload): boolean => text(p.metadata?.encoding) === SEALED_ENCODING;
export const sealedKeyId = (p: Payload): string => text(p.metadata?.[KEY_ID_METADATA]);

/** A payload whose key was destroyed: its subject was erased, and it stays sealed for good. */
export class PayloadKeyDestroyedError extends Error {
  constructor(readonly keyId: string) {
    super(`payload key ${keyId} is destroyed: the payload's data subject was erased`);
    this.name = 'PayloadKeyDestroyedError';
  }
}

export class SealingCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (p) => {
        const key = await this.keys.forScope(keyScopeOf(p));
        const plain = PayloadProto.encode(p).finish();
        return { metadata: { encoding: utf8(SEALED_ENCODING), [KEY_ID_METADATA]: utf8(key.id) }, data: seal(key.key, plain, aad(key.id)) };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.open(p)));
  }

  /** One payload opened; throws PayloadKeyDestroyedError when its key is gone. */
  async open(p: Payload): Promise<Payload> {
    if (!isSealed(p)) return p;
    const keyId = sealedKeyId(p);
    const key = await this.keys.byId(keyId);
    if (!key) throw new PayloadKeyDestroyedError(keyId);
    const decoded = PayloadProto.decode(open(key.key, p.data ?? new Uint8Array(), aad(keyId)));
    return { metadata: decoded.metadata, data: decoded.data };
  }
}
