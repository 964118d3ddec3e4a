/** Shared pieces of Berth's reconcile loops. */
export { WakeSignal, type WakeReason } from './wake-signal.js';
