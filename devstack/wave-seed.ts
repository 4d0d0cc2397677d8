// What a new developer finds in ScaiWave after the first `npm start`: a
// workspace with two rooms and a few messages in the dev tenant, made through
// the API as any client would, so their events are on JetStream too.

async function api<T>(base: string, key: string, method: string, path: string, json?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(json === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = (await res.json()) as { data?: T; error?: { message: string } };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${body.error?.message ?? ''}`);
  return body.data as T;
}

/** Answers the workspace and room ids, for the stack's closing message. */
export async function seedWave(base: string, key: string): Promise<{ workspaceId: string; roomIds: string[] }> {
  const ws = await api<{ id: string }>(base, key, 'POST', '/v1/wave/workspaces', { slug: 'welcome', name: 'Welcome' });
  const general = await api<{ id: string }>(base, key, 'POST', `/v1/wave/workspaces/${ws.id}/rooms`, {
    kind: 'channel',
    name: 'general',
    topic: 'Everything and anything',
  });
  const team = await api<{ id: string }>(base, key, 'POST', `/v1/wave/workspaces/${ws.id}/rooms`, { kind: 'group', name: 'core team' });
  const first = await api<{ id: string }>(base, key, 'POST', `/v1/wave/rooms/${general.id}/messages`, { body: 'Welcome to ScaiWave!' });
  await api(base, key, 'POST', `/v1/wave/rooms/${general.id}/messages`, { body: 'Reply in a thread like this.', thread_parent_id: first.id });
  await api(base, key, 'PUT', `/v1/wave/rooms/${general.id}/messages/${first.id}/reactions/${encodeURIComponent('👋')}`);
  await api(base, key, 'POST', `/v1/wave/rooms/${team.id}/messages`, { body: 'A private group: only its members read it.' });
  return { workspaceId: ws.id, roomIds: [general.id, team.id] };
}
