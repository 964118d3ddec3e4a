/** Shared pieces of Berth's reconcile loops. */
export { WakeSignal } from './wake-signal.js';
