export { systemCheckWorkflow } from './system-check.js';
export { transcriptionJobWorkflow } from './transcription.js';
