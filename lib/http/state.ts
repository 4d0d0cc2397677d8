import type { Caller } from '../auth/caller-identity.js';

/** What middleware leaves on ctx.state for later middleware and handlers. */
export interface ApiState {
  requestId: string;
  caller?: Caller;
  /** Route template, set once the router knows where the request goes. */
  route?: string;
}
