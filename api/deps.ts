import type { TranscriptionRouteDeps } from '../domains/scaiecho/routes.js';
import type { WebRtcRouteDeps } from '../domains/scaiecho/webrtc-routes.js';
import type { SearchRouteDeps } from '../domains/search/routes.js';
import type { WaveRouteDeps } from '../domains/wave/routes/deps.js';

/** What the API process hands its routes: every domain's needs in one set (api/server.ts builds it). */
export type ApiDeps = TranscriptionRouteDeps & WebRtcRouteDeps & WaveRouteDeps & SearchRouteDeps;
