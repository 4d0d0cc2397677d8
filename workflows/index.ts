export { systemCheckWorkflow } from './system-check.js';
