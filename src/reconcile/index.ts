/** Shared pieces of Berth's reconcile loops. */
export { WakeSignal, type WakeReason } from './wake-signal.js';
export { every, pause } from './periodic.js';
