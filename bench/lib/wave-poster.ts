import { epochNow } from './index-watch.js';

// A ScaiWave client as the search-indexing bench drives the API: one workspace
// with a few rooms, then messages posted one call each, timed to their 201.

export interface Posted {
  /** the caller's number for it (its place in the bench's corpus) */
  index: number;
  id: string;
  roomId: string;
  createdAt: Date;
  body: string;
  /** epochNow() when the 201 arrived */
  answeredAt: number;
}

export class WavePoster {
  private constructor(
    private readonly apiUrl: string,
    private readonly headers: Record<string, string>,
    readonly workspaceId: string,
    readonly roomIds: string[],
  ) {}

  /** A workspace with `rooms` channels, made through the API by a tenant admin's key. */
  static async create(apiUrl: string, adminKey: string, rooms: number): Promise<WavePoster> {
    const headers = { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' };
    const make = async (p: string, json: unknown): Promise<string> => {
      const res = await fetch(`${apiUrl}${p}`, { method: 'POST', headers, body: JSON.stringify(json) });
      const body = (await res.json()) as { data?: { id: string } };
      if (!res.ok || !body.data) throw new Error(`POST ${p}: ${res.status} ${JSON.stringify(body)}`);
      return body.data.id;
    };
    const workspaceId = await make('/v1/wave/workspaces', { slug: 'bench', name: 'Bench' });
    const roomIds: string[] = [];
    for (let r = 0; r < rooms; r++) roomIds.push(await make(`/v1/wave/workspaces/${workspaceId}/rooms`, { kind: 'channel', name: `room-${r}` }));
    return new WavePoster(apiUrl, headers, workspaceId, roomIds);
  }

  /** Posts `body` to room number `room`; throws unless the API answers 201. */
  async post(index: number, room: number, body: string): Promise<Posted> {
    const roomId = this.roomIds[room % this.roomIds.length]!;
    const res = await fetch(`${this.apiUrl}/v1/wave/rooms/${roomId}/messages`, { method: 'POST', headers: this.headers, body: JSON.stringify({ body }) });
    const answeredAt = epochNow();
    const answer = (await res.json()) as { data?: { id: string; created_at: string }; error?: { code: string } };
    // Status and code only: the same failure reads the same for every request, so they can be counted.
    if (res.status !== 201 || !answer.data) throw new Error(`post answered ${res.status} ${answer.error?.code ?? ''}`);
    return { index, id: answer.data.id, roomId, createdAt: new Date(answer.data.created_at), body, answeredAt };
  }

  /** GET /v1/wave/search in one room: the ids of the first page of hits. */
  async search(roomId: string, q: string, mode: 'keyword' | 'semantic' | 'hybrid'): Promise<string[]> {
    const res = await fetch(`${this.apiUrl}/v1/wave/search?${new URLSearchParams({ q, mode, room: roomId })}`, { headers: this.headers });
    const answer = (await res.json()) as { data?: { hits: { message_id: string }[] } };
    if (!res.ok || !answer.data) throw new Error(`search answered ${res.status}: ${JSON.stringify(answer).slice(0, 200)}`);
    return answer.data.hits.map((h) => h.message_id);
  }
}
