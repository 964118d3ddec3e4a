import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentInfo, DeploymentTarget, LifecycleEvent, TargetStatus } from '@aws-sdk/client-codedeploy';
import { OptionsError } from '../config/index.js';
import { exitStatus, parseDeploymentsFlags, renderDeployment, renderDeploymentList, summaryLine, trafficBar } from './deployments.js';

// API answers shaped as the CodeDeploy model's DeploymentInfo, ECSTarget and ECSTaskSet (as the SDK
// deserializes them: timestamps are Dates).
const created = new Date('2026-11-30T01:00:00Z');
const info = (over: Partial<DeploymentInfo> = {}): DeploymentInfo => ({
  applicationName: 'shop',
  deploymentGroupName: 'shop-web',
  deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  deploymentId: 'd-7QK2J4ZB1',
  status: 'InProgress',
  createTime: created,
  startTime: created,
  creator: 'user',
  deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
  computePlatform: 'ECS',
  instanceTerminationWaitTimeStarted: false,
  deploymentStatusMessages: [],
  ...over,
});
const ORDER = ['BeforeInstall', 'Install', 'AfterInstall', 'AllowTestTraffic', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'];
/** Events up to `doneUpTo` Succeeded, the next `current` status, the rest Pending. */
const events = (doneUpTo: number, current: LifecycleEvent['status'] = 'InProgress'): LifecycleEvent[] =>
  ORDER.map((name, i) => ({
    lifecycleEventName: name,
    status: i < doneUpTo ? 'Succeeded' : i === doneUpTo ? current : 'Pending',
    ...(i <= doneUpTo ? { startTime: created } : {}),
    ...(i < doneUpTo ? { endTime: created } : {}),
  }));
const taskSet = (label: 'Blue' | 'Green', weight: number, running: number, desired = 2) => ({
  identifer: label === 'Blue' ? 'ecs-svc/1111111111111111111' : 'ecs-svc/2222222222222222222',
  desiredCount: desired,
  pendingCount: desired - running,
  runningCount: running,
  status: label === 'Blue' ? 'PRIMARY' : 'ACTIVE',
  trafficWeight: weight,
  targetGroup: { name: label === 'Blue' ? 'shop-blue' : 'shop-green' },
  taskSetLabel: label,
});
const target = (lifecycleEvents: LifecycleEvent[], sets: ReturnType<typeof taskSet>[], status: TargetStatus = 'InProgress'): DeploymentTarget => ({
  deploymentTargetType: 'ECSTarget',
  ecsTarget: {
    deploymentId: 'd-7QK2J4ZB1',
    targetId: 'shop-cluster:shop-web',
    targetArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop-cluster/shop-web',
    lastUpdatedAt: created,
    lifecycleEvents,
    status,
    taskSetsInfo: sets,
  },
});

describe('berth deployments: rendering', () => {
  it('draws the production split as a bar from the task sets\' traffic weights', () => {
    assert.equal(trafficBar({ blue: 80, green: 20 }, 10), 'blue ████████░░ green  80% / 20%');
    assert.equal(trafficBar({ blue: 100, green: 0 }, 10), 'blue ██████████ green  100% / 0%');
    assert.equal(trafficBar({ blue: 0, green: 100 }, 10), 'blue ░░░░░░░░░░ green  0% / 100%');
    assert.equal(trafficBar({ blue: 66.7, green: 33.3 }, 10), 'blue ███████░░░ green  66.7% / 33.3%');
  });

  it('shows a canary in AllowTraffic: status, every event with its mark, the 90/10 bar and both task sets', () => {
    const text = renderDeployment(info(), target(events(6), [taskSet('Green', 10, 2), taskSet('Blue', 90, 2)]));
    assert.equal(
      text,
      [
        'Deployment d-7QK2J4ZB1  shop/shop-web  CodeDeployDefault.ECSCanary10Percent5Minutes',
        'Status: InProgress',
        'Lifecycle: AllowTraffic',
        '  ✓ BeforeInstall          Succeeded',
        '  ✓ Install                Succeeded',
        '  ✓ AfterInstall           Succeeded',
        '  ✓ AllowTestTraffic       Succeeded',
        '  ✓ AfterAllowTestTraffic  Succeeded',
        '  ✓ BeforeAllowTraffic     Succeeded',
        '  ▸ AllowTraffic           InProgress',
        '  · AfterAllowTraffic      Pending',
        'Traffic: blue ██████████████████░░ green  90% / 10%',
        'Task sets:',
        '  blue  ecs-svc/1111111111111111111  PRIMARY  running 2/2  target group shop-blue',
        '  green ecs-svc/2222222222222222222  ACTIVE  running 2/2  target group shop-green',
        '',
      ].join('\n'),
    );
  });

  it('before the replacement exists: only the original task set, all traffic blue, the next event pending', () => {
    const text = renderDeployment(info({ status: 'Created' }), target(events(0, 'Pending'), [taskSet('Blue', 100, 2)], 'Pending'));
    assert.match(text, /^Lifecycle: BeforeInstall$/m);
    assert.match(text, /^Traffic: blue █{20} green {2}100% \/ 0%$/m);
    assert.doesNotMatch(text, /green ecs-svc/);
    // Without a target yet (GetDeploymentTarget not answered), the header still shows.
    assert.equal(renderDeployment(info({ status: 'Created' }), undefined), 'Deployment d-7QK2J4ZB1  shop/shop-web  CodeDeployDefault.ECSCanary10Percent5Minutes\nStatus: Created\n');
  });

  it('shows replacement tasks still starting as running/desired with the pending ones', () => {
    const text = renderDeployment(info(), target(events(1), [taskSet('Blue', 100, 3, 3), taskSet('Green', 0, 1, 3)]));
    assert.match(text, /^ {2}green ecs-svc\/2222222222222222222 {2}ACTIVE {2}running 1\/3, 2 pending {2}target group shop-green$/m);
    assert.match(text, /^Lifecycle: Install$/m);
  });

  it('ends with Succeeded after the termination wait', () => {
    const waiting = renderDeployment(info({ instanceTerminationWaitTimeStarted: true }), target(events(8), [taskSet('Blue', 0, 2), taskSet('Green', 100, 2)]));
    assert.match(waiting, /^Waiting: the original task set is removed when the termination wait ends .*TERMINATION_WAIT/m);
    assert.match(waiting, /^Lifecycle: -$/m);
    const done = renderDeployment(info({ status: 'Succeeded', completeTime: created, instanceTerminationWaitTimeStarted: true }), target(events(8), [taskSet('Green', 100, 2)], 'Succeeded'));
    assert.match(done, /^Lifecycle: done$/m);
    assert.match(done, /^Traffic: blue ░{20} green {2}0% \/ 100%$/m);
    assert.ok(done.endsWith('Result: Succeeded\n'), done);
    assert.doesNotMatch(done, /Waiting/);
    assert.equal(exitStatus('Succeeded'), 0);
  });

  it('ends with Failed, the hook\'s error and diagnostics, and the rollback deployment', () => {
    const ev = events(5, 'Failed');
    ev[5].diagnostics = { errorCode: 'ScriptFailed', scriptName: 'CheckV2', message: 'The hook CheckV2 reported Failed', logTail: '' };
    const failed = info({
      status: 'Failed',
      completeTime: created,
      errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'Lifecycle event BeforeAllowTraffic failed: the hook CheckV2 reported Failed' },
      rollbackInfo: { rollbackDeploymentId: 'd-9XW3R8PL0', rollbackMessage: 'Deployment d-9XW3R8PL0 was created to roll back this deployment.' },
    });
    const text = renderDeployment(failed, target(ev, [taskSet('Blue', 100, 2), taskSet('Green', 0, 2)], 'Failed'));
    assert.match(text, /^ {2}✗ BeforeAllowTraffic {5}Failed {2}The hook CheckV2 reported Failed$/m);
    assert.match(text, /^Lifecycle: done$/m);
    assert.ok(
      text.endsWith(
        'Result: Failed — HOOK_EXECUTION_FAILURE: Lifecycle event BeforeAllowTraffic failed: the hook CheckV2 reported Failed\n' +
          'Rollback deployment: d-9XW3R8PL0 (berth deployments watch d-9XW3R8PL0)\n' +
          'Rollback: Deployment d-9XW3R8PL0 was created to roll back this deployment.\n',
      ),
      text,
    );
    assert.equal(exitStatus('Failed'), 1);
    // The rollback deployment names the one it undoes.
    const rb = renderDeployment(info({ deploymentId: 'd-9XW3R8PL0', creator: 'codeDeployRollback', rollbackInfo: { rollbackTriggeringDeploymentId: 'd-7QK2J4ZB1' } }), undefined);
    assert.match(rb, /^Status: InProgress {2}\(rolls back d-7QK2J4ZB1\)$/m);
  });

  it('Stopped by StopDeployment, and Ready waiting for ContinueDeployment', () => {
    const stopped = renderDeployment(info({ status: 'Stopped', errorInformation: { code: 'MANUAL_STOP', message: 'The deployment was stopped by a user' } }), target(events(6, 'Skipped'), [taskSet('Blue', 100, 2)], 'Skipped'));
    assert.match(stopped, /Result: Stopped — MANUAL_STOP: The deployment was stopped by a user\n$/);
    assert.match(stopped, /^ {2}- AllowTraffic {11}Skipped$/m);
    assert.equal(exitStatus('Stopped'), 1);
    assert.equal(exitStatus('InProgress'), undefined);
    assert.equal(exitStatus('Ready'), undefined);
    const ready = renderDeployment(info({ status: 'Ready' }), target(events(6, 'Pending'), [taskSet('Blue', 100, 2), taskSet('Green', 0, 2)], 'Ready'));
    assert.match(ready, /^Waiting: traffic is not shifted until 'aws deploy continue-deployment --deployment-id d-7QK2J4ZB1 --deployment-wait-type READY_WAIT'/m);
    assert.match(ready, /^Lifecycle: AllowTraffic$/m);
  });

  it('gives one line per state for pipes, which changes when the split, an event or a count changes', () => {
    const a = summaryLine(info(), target(events(6), [taskSet('Blue', 90, 2), taskSet('Green', 10, 2)]));
    assert.equal(a, 'd-7QK2J4ZB1  InProgress  AllowTraffic  blue ██████████████████░░ green  90% / 10%  blue 2/2  green 2/2\n');
    assert.equal(summaryLine(info(), target(events(6), [taskSet('Blue', 90, 2), taskSet('Green', 10, 2)])), a);
    assert.notEqual(summaryLine(info(), target(events(6), [taskSet('Blue', 0, 2), taskSet('Green', 100, 2)])), a);
    assert.notEqual(summaryLine(info(), target(events(7), [taskSet('Blue', 90, 2), taskSet('Green', 10, 2)])), a);
    assert.notEqual(summaryLine(info(), target(events(6), [taskSet('Blue', 90, 1), taskSet('Green', 10, 2)])), a);
    assert.equal(summaryLine(info({ status: 'Created' }), target(events(0, 'Pending'), [taskSet('Blue', 100, 2)])), 'd-7QK2J4ZB1  Created  BeforeInstall (pending)  blue ████████████████████ green  100% / 0%  blue 2/2\n');
    const end = summaryLine(info({ status: 'Failed', errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'The replacement task set never became healthy' }, rollbackInfo: { rollbackDeploymentId: 'd-9XW3R8PL0' } }), target(events(1, 'Failed'), [taskSet('Blue', 100, 2)]));
    assert.equal(end, 'd-7QK2J4ZB1  Failed  blue ████████████████████ green  100% / 0%  blue 2/2\nResult: Failed — HEALTH_CONSTRAINTS: The replacement task set never became healthy\nRollback deployment: d-9XW3R8PL0 (berth deployments watch d-9XW3R8PL0)\n');
  });

  it('lists deployments newest first', () => {
    const list = renderDeploymentList(
      [
        info({ deploymentId: 'd-AAAAAAAAA', status: 'Succeeded', createTime: new Date('2026-11-29T10:00:00Z') }),
        info({ deploymentId: 'd-BBBBBBBBB', status: 'InProgress', createTime: new Date('2026-11-30T01:00:00Z') }),
        info({ deploymentId: 'd-CCCCCCCCC', status: 'Failed', deploymentGroupName: 'shop-api', createTime: new Date('2026-11-29T12:00:00Z') }),
      ],
      2,
    );
    assert.equal(
      list,
      'DEPLOYMENT   STATUS      APPLICATION/GROUP  CREATED\n' +
        'd-BBBBBBBBB  InProgress  shop/shop-web      2026-11-30T01:00:00.000Z\n' +
        'd-CCCCCCCCC  Failed      shop/shop-api      2026-11-29T12:00:00.000Z\n',
    );
    assert.equal(renderDeploymentList([], 20), 'No deployments.\n');
  });
});

describe('berth deployments: usage', () => {
  it('parses watch and ls flags and refuses bad values as usage errors', () => {
    const w = parseDeploymentsFlags(['watch', 'd-7QK2J4ZB1', '--interval', '0.5', '--port', '4601']);
    assert.deepEqual([w.sub, w.positional, w.interval, w.rest], ['watch', ['d-7QK2J4ZB1'], 0.5, ['--port', '4601']]);
    const l = parseDeploymentsFlags(['ls', '--application-name=shop', '--max', '5']);
    assert.deepEqual([l.sub, l.applicationName, l.max], ['ls', 'shop', 5]);
    assert.throws(() => parseDeploymentsFlags(['watch', 'd-1', '--interval', 'soon']), (e: Error) => e instanceof OptionsError && /--interval must be a number of seconds/.test(e.message));
    assert.throws(() => parseDeploymentsFlags(['watch', 'd-1', '--interval']), OptionsError);
    assert.throws(() => parseDeploymentsFlags(['ls', '--max', '0']), OptionsError);
  });
});
