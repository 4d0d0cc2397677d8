import { complianceEventsStream, scaiechoJobsStream, type StreamSpec } from '../lib/events/jetstream.js';
import { waveRoomsStream } from './wave/events.js';

/** Every JetStream stream the platform writes to: the API and the worker each declare them all at start. */
export const EVENT_STREAMS: readonly StreamSpec[] = [scaiechoJobsStream, waveRoomsStream, complianceEventsStream];
