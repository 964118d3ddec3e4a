import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WakeSignal } from './wake-signal.js';

describe('WakeSignal', () => {
  it('a wake naming keys ends the wait with just those keys', async () => {
    const w = new WakeSignal(60_000);
    const waiting = w.wait(new AbortController().signal);
    w.wake('a');
    w.wake('b');
    const reason = await waiting;
    assert.equal(reason.all, false);
    assert.deepEqual([...reason.keys].sort(), ['a', 'b']);
  });

  it('a wake naming nothing asks for everything, even beside named keys', async () => {
    const w = new WakeSignal(60_000);
    w.wake('a');
    w.wake();
    await new Promise((r) => setImmediate(r));
    const reason = await w.wait(new AbortController().signal);
    assert.equal(reason.all, true);
  });

  it('the poll interval passing asks for everything', async () => {
    const w = new WakeSignal(20);
    const reason = await w.wait(new AbortController().signal);
    assert.equal(reason.all, true);
  });

  it('keys woken while no one waits are kept for the next wait, then cleared', async () => {
    const w = new WakeSignal(60_000);
    w.wake('x');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([...(await w.wait(new AbortController().signal)).keys], ['x']);
    const ac = new AbortController();
    const next = w.wait(ac.signal);
    ac.abort();
    const reason = await next;
    assert.equal(reason.keys.size, 0);
  });
});
