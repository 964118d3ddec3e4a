/** WebSocket through the load balancer: handshake routed by rules, then frames piped both ways. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'undici';
import { createLoadBalancerEngine } from './engine.js';
import { forwardRule, listener, listenerUrl, loadBalancer, startBackend, targetGroup, waitFor, TEST_HEALTH_CHECK } from './test-helpers.js';

const HC = TEST_HEALTH_CHECK;

/** A minimal RFC 6455 echo for short text frames: enough to prove bytes flow both ways. */
function echoWebSocket(name: string, req: { headers: Record<string, string | string[] | undefined> }, socket: Duplex): void {
  const key = String(req.headers['sec-websocket-key']);
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 6) {
      const opcode = buf[0] & 0x0f;
      const len = buf[1] & 0x7f; // short frames only (< 126 bytes)
      if (buf.length < 6 + len) return;
      const mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]));
      buf = buf.subarray(6 + len);
      if (opcode === 8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      const reply = Buffer.from(`${name}: ${payload.toString()}`);
      socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
    }
  });
  socket.on('error', () => {});
}

describe('WebSocket', () => {
  it('echoes through the load balancer after the 101, routed by path', async () => {
    const chat = await startBackend('chat');
    const other = await startBackend('other');
    chat.server.on('upgrade', (req, socket) => echoWebSocket('chat', req, socket));
    const tgChat = targetGroup('chat', [{ port: chat.port }], { healthCheck: HC });
    const tgOther = targetGroup('other', [{ port: other.port }], { healthCheck: HC });
    const engine = createLoadBalancerEngine({ timeScale: 0.05 });
    try {
      const snap = {
        loadBalancers: [loadBalancer('ws', [listener('ws', [forwardRule(1, tgChat.arn, [{ field: 'path-pattern', values: ['/chat'] }]), forwardRule('default', tgOther.arn)])])],
        targetGroups: [tgChat, tgOther],
      };
      await engine.apply(snap);
      await waitFor('healthy', () => engine.targetHealth(tgChat.arn)[0]?.state === 'healthy' && engine.targetHealth(tgOther.arn)[0]?.state === 'healthy');
      const url = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn).replace('http', 'ws') + '/chat';
      const ws = new WebSocket(url);
      const messages: string[] = [];
      ws.addEventListener('message', (e) => messages.push(String(e.data)));
      await new Promise<void>((resolve, reject) => {
        ws.addEventListener('open', () => resolve());
        ws.addEventListener('error', (e) => reject(new Error(`websocket error: ${(e as { message?: string }).message}`)));
      });
      ws.send('hello');
      ws.send('again');
      await waitFor('two echoes', () => messages.length === 2);
      assert.deepEqual(messages, ['chat: hello', 'chat: again']);
      const closed = new Promise((r) => ws.addEventListener('close', r));
      ws.close();
      await closed;
      // A target that does not upgrade: its answer is relayed, the client's handshake fails.
      const refused = new WebSocket(url.replace('/chat', '/plain'));
      await new Promise<void>((resolve) => {
        refused.addEventListener('error', () => resolve());
        refused.addEventListener('open', () => resolve());
      });
      assert.equal(refused.readyState, WebSocket.CLOSED);
      assert.ok(other.hits >= 1);
    } finally {
      await engine.close();
      await chat.close();
      await other.close();
    }
  });
});
