import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskDefinitionRef } from './task-definition-records.js';

describe('parseTaskDefinitionRef', () => {
  const ok: [string, { family: string; revision?: number }][] = [
    ['api', { family: 'api' }],
    ['api:3', { family: 'api', revision: 3 }],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/api:12', { family: 'api', revision: 12 }],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/api', { family: 'api' }],
  ];
  for (const [ref, want] of ok) it(`reads '${ref}'`, () => assert.deepEqual(parseTaskDefinitionRef(ref), want));

  const bad: [string, string, RegExp][] = [
    ['api:0', 'ClientException', /Invalid revision number. Number: 0/],
    ['api:latest', 'ClientException', /Invalid revision number. Number: latest/],
    ['arn:aws:ecs:us-east-1:123456789012:cluster/demo', 'InvalidParameterException', /Invalid task definition ARN/],
  ];
  for (const [ref, code, message] of bad) {
    it(`refuses '${ref}'`, () => assert.throws(() => parseTaskDefinitionRef(ref), (e: any) => e.code === code && message.test(e.message)));
  }
});
