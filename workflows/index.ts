export { systemCheckWorkflow } from './system-check.js';
export { transcriptionJobWorkflow } from './transcription.js';
export { enrollSpeakerWorkflow, rewarmSpeakerWorkflow } from './speakers.js';
export { eraseSpeakerWorkflow } from './speaker-erasure.js';
export { accountingFlushWorkflow } from './accounting.js';
export { identitySyncAllWorkflow, identitySyncWorkflow } from './identity-sync.js';
export { retentionPurgeWorkflow } from './retention.js';
export { warmReconcileWorkflow } from './warm-reconcile.js';
export { waveMediaScanWorkflow } from './wave-media-scan.js';
