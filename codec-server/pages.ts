import type { Caller } from '../lib/auth/caller-identity.js';

// The codec server's two pages: plain HTML, no script (its policy allows none).

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`;

export function signInPage(): string {
  return page(
    'scaiwave codec server',
    `<p>Sign in with a platform operator's credential (an <code>sgk_</code> API key or a ScaiKey access token) so the Temporal UI can show this deployment's sealed payloads. Every decode is audited.</p>
<form method="post" action="/session"><label>Credential <input type="password" name="credential" autocomplete="off" required></label> <button type="submit">Sign in</button></form>`,
  );
}

export function signedInPage(caller: Caller, codecUrl: string, uiUrl: string): string {
  return page(
    'Signed in',
    `<p id="signed-in">Signed in as ${escape(caller.subject)} (tenant ${escape(caller.tenantSlug)}) for 8 hours.</p>
<p>In the Temporal UI (<a href="${escape(uiUrl)}">${escape(uiUrl)}</a>), open the data encoder settings, set the Remote Codec Endpoint to <code>${escape(codecUrl)}</code> and turn on "Include cross-origin credentials".</p>`,
  );
}
