import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTaskDefinition,
  FARGATE_SIZES,
  isFargateSize,
  parseTaskCpu,
  parseTaskMemory,
  type RegisterInput,
  type WireContainer,
} from './task-definition-validation.js';

const container = (over: WireContainer = {}): WireContainer => ({ name: 'web', image: 'nginx:1.27', memory: 256, ...over });
const ec2 = (over: Partial<RegisterInput> = {}): RegisterInput => ({ family: 'web', containerDefinitions: [container()], ...over });
const fargate = (over: Partial<RegisterInput> = {}): RegisterInput => ({
  family: 'api',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'api', image: 'api:1' }],
  ...over,
});

/** Asserts compiling fails with `code` and a message matching `message`. */
function rejects(input: RegisterInput, code: string, message: RegExp): void {
  assert.throws(() => compileTaskDefinition(input), (e: any) => {
    assert.equal(e.code, code, `code for ${JSON.stringify(input)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('task size forms', () => {
  const cpus: [string, number | undefined][] = [
    ['1024', 1024],
    ['1 vCPU', 1024],
    ['0.5 vcpu', 512],
    ['.25 vCPU', undefined],
    ['0.25vcpu', 256],
    ['2 VCPU', 2048],
    ['lots', undefined],
    ['1.5', undefined],
  ];
  for (const [s, want] of cpus) it(`cpu '${s}' -> ${want}`, () => assert.equal(parseTaskCpu(s), want));
  const mems: [string, number | undefined][] = [
    ['2048', 2048],
    ['1 GB', 1024],
    ['1GB', 1024],
    ['0.5 gb', 512],
    ['2 GiB', undefined],
    ['', undefined],
  ];
  for (const [s, want] of mems) it(`memory '${s}' -> ${want}`, () => assert.equal(parseTaskMemory(s), want));

  it('normalises cpu and memory strings to numbers as strings', () => {
    const td = compileTaskDefinition(fargate({ cpu: '1 vCPU', memory: '2 GB' }));
    assert.equal(td.cpu, '1024');
    assert.equal(td.memory, '2048');
  });
});

describe('Fargate cpu/memory pairs', () => {
  const valid: [number, number[]][] = [
    [256, [512, 1024, 2048]],
    [512, [1024, 2048, 3072, 4096]],
    [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
    [2048, [4096, 8192, 16384]],
    [4096, [8192, 16384, 30720]],
    [8192, [16384, 20480, 61440]],
    [16384, [32768, 40960, 122880]],
  ];
  for (const [cpu, mems] of valid) {
    for (const mem of mems) {
      it(`accepts ${cpu} CPU with ${mem} MiB`, () => {
        assert.ok(isFargateSize(cpu, mem));
        const td = compileTaskDefinition(fargate({ cpu: String(cpu), memory: String(mem) }));
        assert.deepEqual(td.compatibilities, ['EC2', 'FARGATE']);
      });
    }
  }
  const invalid: [number, number][] = [
    [256, 4096],
    [512, 512],
    [512, 5120],
    [1024, 1024],
    [2048, 17408],
    [4096, 31744],
    [8192, 17408],
    [16384, 36864],
    [128, 512],
    [32768, 65536],
  ];
  for (const [cpu, mem] of invalid) {
    it(`refuses ${cpu} CPU with ${mem} MiB`, () => {
      assert.equal(isFargateSize(cpu, mem), false);
      rejects(fargate({ cpu: String(cpu), memory: String(mem) }), 'ClientException', new RegExp(`No Fargate configuration exists for given values: ${cpu} CPU, ${mem} memory`));
    });
  }
  it('lists every pair the Fargate table documents', () => {
    assert.deepEqual([...FARGATE_SIZES.keys()], [256, 512, 1024, 2048, 4096, 8192, 16384]);
    assert.equal(FARGATE_SIZES.get(4096)!.length, 23);
    assert.equal(FARGATE_SIZES.get(8192)!.length, 12);
    assert.equal(FARGATE_SIZES.get(16384)!.length, 12);
  });
  it('needs awsvpc, task cpu and task memory', () => {
    rejects(fargate({ networkMode: 'bridge' }), 'ClientException', /Fargate only supports network mode 'awsvpc'/);
    rejects(fargate({ cpu: undefined }), 'ClientException', /Fargate requires that 'cpu' be defined at the task level/);
    rejects(fargate({ memory: undefined }), 'ClientException', /'memory' be defined at the task level/);
  });
  it('is not offered for a definition that only fits EC2', () => {
    assert.deepEqual(compileTaskDefinition(ec2()).compatibilities, ['EXTERNAL', 'EC2']);
    assert.deepEqual(compileTaskDefinition(ec2({ networkMode: 'awsvpc' })).compatibilities, ['EC2']);
  });
});

describe('RegisterTaskDefinition rules', () => {
  const cases: [string, RegisterInput, string, RegExp][] = [
    ['family with a space', ec2({ family: 'my app' }), 'ClientException', /Invalid family 'my app'/],
    ['family too long', ec2({ family: 'f'.repeat(256) }), 'ClientException', /Invalid family/],
    ['container name with a dot', ec2({ containerDefinitions: [container({ name: 'a.b' })] }), 'ClientException', /Invalid container name 'a.b'/],
    ['container without name', ec2({ containerDefinitions: [container({ name: undefined })] }), 'ClientException', /Container.name should not be null or empty/],
    ['container without image', ec2({ containerDefinitions: [container({ image: undefined })] }), 'ClientException', /Container.image should not be null or empty/],
    ['duplicate container names', ec2({ containerDefinitions: [container(), container()] }), 'ClientException', /Duplicate container name 'web'/],
    ['no essential container', ec2({ containerDefinitions: [container({ essential: false })] }), 'ClientException', /at least one essential container/],
    ['no containers', ec2({ containerDefinitions: [] }), 'ClientException', /at least one container/],
    ['eleven containers', ec2({ containerDefinitions: Array.from({ length: 11 }, (_, i) => container({ name: `c${i}` })) }), 'ClientException', /at most 10/],
    ['no memory anywhere', ec2({ containerDefinitions: [container({ memory: undefined })] }), 'ClientException', /Invalid setting for container 'web'. At least one of 'memory' or 'memoryReservation' must be specified./],
    ['memory below 6 MiB', ec2({ containerDefinitions: [container({ memory: 4 })] }), 'ClientException', /'memory' setting for container 'web': it must be at least 6 MiB/],
    ['soft limit above hard limit', ec2({ containerDefinitions: [container({ memory: 128, memoryReservation: 256 })] }), 'ClientException', /soft limit \(256 MiB\) must not exceed the hard limit/],
    ['containers above task memory', ec2({ memory: '512', containerDefinitions: [container({ memory: 400 }), container({ name: 'b', memory: 400 })] }), 'ClientException', /800 MiB of memory in total, more than the task memory of 512 MiB/],
    ['containers above task cpu', fargate({ containerDefinitions: [{ name: 'a', image: 'a', cpu: 512 }] }), 'ClientException', /512 CPU units in total, more than the task cpu of 256/],
    ['task cpu too small', ec2({ cpu: '64' }), 'InvalidParameterException', /Invalid 'cpu' setting for task/],
    ['task cpu not a number', ec2({ cpu: 'fast' }), 'InvalidParameterException', /Invalid 'cpu' setting for task/],
    ['task memory not a number', ec2({ memory: 'big' }), 'InvalidParameterException', /Invalid 'memory' setting for task/],
    ['awsvpc host port differs', ec2({ networkMode: 'awsvpc', containerDefinitions: [container({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })] }), 'ClientException', /When networkMode=awsvpc, the host ports and container ports in port mappings must match./],
    ['host-mode host port differs', ec2({ networkMode: 'host', containerDefinitions: [container({ portMappings: [{ containerPort: 80, hostPort: 81 }] })] }), 'ClientException', /When networkMode=host/],
    ['port mappings with networkMode none', ec2({ networkMode: 'none', containerDefinitions: [container({ portMappings: [{ containerPort: 80 }] })] }), 'ClientException', /not supported when networkMode=none/],
    ['port mapping without containerPort', ec2({ containerDefinitions: [container({ portMappings: [{ hostPort: 80 }] })] }), 'ClientException', /Invalid 'containerPort' setting for container 'web'/],
    ['container port out of range', ec2({ containerDefinitions: [container({ portMappings: [{ containerPort: 70000 }] })] }), 'ClientException', /Invalid 'containerPort'/],
    ['same container port twice', ec2({ containerDefinitions: [container({ portMappings: [{ containerPort: 80 }, { containerPort: 80, hostPort: 8080 }] })] }), 'ClientException', /container port 80\/tcp is mapped more than once/],
    ['same static host port in two containers', ec2({ containerDefinitions: [container({ portMappings: [{ containerPort: 80, hostPort: 8080 }] }), container({ name: 'b', portMappings: [{ containerPort: 81, hostPort: 8080 }] })] }), 'ClientException', /Host port 8080\/tcp is used by both/],
    ['port range with a host port', ec2({ containerDefinitions: [container({ portMappings: [{ containerPortRange: '9000-9010', hostPort: 9000 }] })] }), 'ClientException', /no hostPort with a containerPortRange/],
    ['backwards port range', ec2({ containerDefinitions: [container({ portMappings: [{ containerPortRange: '9010-9000' }] })] }), 'ClientException', /'9010-9000' must be FIRST-LAST/],
    ['port range in host mode', ec2({ networkMode: 'host', containerDefinitions: [container({ portMappings: [{ containerPortRange: '9000-9010' }] })] }), 'ClientException', /port ranges need networkMode bridge or awsvpc/],
    ['overlapping port range', ec2({ containerDefinitions: [container({ portMappings: [{ containerPortRange: '9000-9010' }, { containerPort: 9005 }] })] }), 'ClientException', /container port 9005\/tcp is mapped more than once/],
    ['bad port mapping name', ec2({ containerDefinitions: [container({ portMappings: [{ containerPort: 80, name: '-Web' }] })] }), 'ClientException', /Invalid port mapping name '-Web'/],
    ['links in awsvpc', ec2({ networkMode: 'awsvpc', containerDefinitions: [container({ links: ['db'] }), container({ name: 'db' })] }), 'ClientException', /Links are not supported when networkMode=awsvpc/],
    ['link to a missing container', ec2({ containerDefinitions: [container({ links: ['db:database'] })] }), 'ClientException', /'db:database' does not name another container/],
    ['dependsOn a missing container', ec2({ containerDefinitions: [container({ dependsOn: [{ containerName: 'db', condition: 'START' }] })] }), 'ClientException', /'db' does not name another container/],
    ['HEALTHY without a health check', ec2({ containerDefinitions: [container({ dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }), container({ name: 'db' })] }), 'ClientException', /HEALTHY condition needs a healthCheck on container 'db'/],
    ['SUCCESS on an essential container', ec2({ containerDefinitions: [container({ dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] }), container({ name: 'init' })] }), 'ClientException', /can't be set on essential container 'init'/],
    ['mount of an undefined volume', ec2({ containerDefinitions: [container({ mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] })] }), 'ClientException', /volume 'data' is not defined/],
    ['volumesFrom a missing container', ec2({ containerDefinitions: [container({ volumesFrom: [{ sourceContainer: 'x' }] })] }), 'ClientException', /'x' does not name another container/],
    ['environment variable without a name', ec2({ containerDefinitions: [container({ environment: [{ value: 'v' }] })] }), 'ClientException', /non-empty name/],
    ['secret valueFrom that is no ARN or name', ec2({ executionRoleArn: 'arn:aws:iam::123456789012:role/x', containerDefinitions: [container({ secrets: [{ name: 'DB', valueFrom: 'arn:aws:s3:::bucket/key' }] })] }), 'ClientException', /valueFrom of secret 'DB' must be the ARN/],
    ['secret given twice', ec2({ executionRoleArn: 'arn:aws:iam::123456789012:role/x', containerDefinitions: [container({ secrets: [{ name: 'DB', valueFrom: 'db' }, { name: 'DB', valueFrom: 'db2' }] })] }), 'ClientException', /secret 'DB' is given more than once/],
    ['secrets without an execution role', ec2({ containerDefinitions: [container({ secrets: [{ name: 'DB', valueFrom: '/prod/db' }] })] }), 'ClientException', /you must also specify a value for 'executionRoleArn'/],
    ['awslogs without group and region', ec2({ containerDefinitions: [container({ logConfiguration: { logDriver: 'awslogs', options: {} } })] }), 'ClientException', /awslogs requires the options awslogs-group, awslogs-region/],
    ['awslogs on Fargate without stream prefix', fargate({ executionRoleArn: 'arn:aws:iam::123456789012:role/x', containerDefinitions: [{ name: 'a', image: 'a', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1' } } }] }), 'ClientException', /awslogs requires the option awslogs-stream-prefix/],
    ['awslogs on Fargate without execution role', fargate({ containerDefinitions: [{ name: 'a', image: 'a', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p' } } }] }), 'ClientException', /Fargate requires task definition to have execution role ARN to support log driver awslogs/],
    ['syslog on Fargate', fargate({ containerDefinitions: [{ name: 'a', image: 'a', logConfiguration: { logDriver: 'syslog' } }] }), 'ClientException', /Fargate supports the log drivers awslogs, splunk, awsfirelens; got syslog/],
    ['health check interval too short', ec2({ containerDefinitions: [container({ healthCheck: { command: ['CMD', 'true'], interval: 4 } })] }), 'ClientException', /interval must be between 5 and 300; got 4/],
    ['health check timeout too long', ec2({ containerDefinitions: [container({ healthCheck: { command: ['CMD', 'true'], timeout: 61 } })] }), 'ClientException', /timeout must be between 2 and 60/],
    ['health check retries 0', ec2({ containerDefinitions: [container({ healthCheck: { command: ['CMD', 'true'], retries: 0 } })] }), 'ClientException', /retries must be between 1 and 10/],
    ['health check start period too long', ec2({ containerDefinitions: [container({ healthCheck: { command: ['CMD', 'true'], startPeriod: 301 } })] }), 'ClientException', /startPeriod must be between 0 and 300/],
    ['health check empty command', ec2({ containerDefinitions: [container({ healthCheck: { command: [] } })] }), 'ClientException', /command must start with CMD or CMD-SHELL/],
    ['ulimit soft above hard', ec2({ containerDefinitions: [container({ ulimits: [{ name: 'nofile', softLimit: 2048, hardLimit: 1024 }] })] }), 'ClientException', /soft limit of 'nofile' exceeds its hard limit/],
    ['stopTimeout above 120 on Fargate', fargate({ containerDefinitions: [{ name: 'a', image: 'a', stopTimeout: 121 }] }), 'ClientException', /on Fargate it must be between 2 and 120 seconds/],
    ['privileged on Fargate', fargate({ containerDefinitions: [{ name: 'a', image: 'a', privileged: true }] }), 'ClientException', /Fargate does not support privileged containers/],
    ['ephemeral storage too small', fargate({ ephemeralStorage: { sizeInGiB: 20 } }), 'ClientException', /sizeInGiB must be between 21 and 200/],
    ['proxy for a missing container', ec2({ proxyConfiguration: { containerName: 'envoy' } }), 'ClientException', /container 'envoy' is not defined/],
  ];
  for (const [name, input, code, message] of cases) it(`refuses ${name}`, () => rejects(input, code, message));

  it('reports every problem at once', () => {
    assert.throws(
      () => compileTaskDefinition(ec2({ family: 'bad family', containerDefinitions: [container({ memory: undefined, portMappings: [{ hostPort: 1 }] })] })),
      (e: any) => e.code === 'ClientException' && /Invalid family/.test(e.message) && /At least one of 'memory'/.test(e.message) && /Invalid 'containerPort'/.test(e.message),
    );
  });

  it('needs no container memory when the task sets memory', () => {
    const td = compileTaskDefinition(ec2({ memory: '512', containerDefinitions: [container({ memory: undefined })] }));
    assert.equal(td.memory, '512');
  });

  it('fills the members ECS fills in', () => {
    const td = compileTaskDefinition(
      ec2({
        containerDefinitions: [
          container({
            portMappings: [{ containerPort: 80 }, { containerPort: 53, protocol: 'udp', hostPort: 5353 }],
            healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] },
          }),
        ],
      }),
    );
    const c = td.containerDefinitions[0];
    assert.deepEqual(c.portMappings, [
      { containerPort: 80, hostPort: 0, protocol: 'tcp' },
      { containerPort: 53, hostPort: 5353, protocol: 'udp' },
    ]);
    assert.deepEqual(c.healthCheck, { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 30, timeout: 5, retries: 3 });
    assert.equal(c.cpu, 0);
    assert.equal(c.essential, true);
    assert.deepEqual([c.environment, c.mountPoints, c.volumesFrom], [[], [], []]);
    assert.deepEqual(td.volumes, []);
    assert.deepEqual(td.placementConstraints, []);
    assert.equal(td.networkMode, undefined, 'networkMode is only returned when it was given');
  });

  it('sets host ports to container ports in awsvpc and host mode', () => {
    for (const networkMode of ['awsvpc', 'host'] as const) {
      const td = compileTaskDefinition(ec2({ networkMode, containerDefinitions: [container({ portMappings: [{ containerPort: 8080 }] })] }));
      assert.deepEqual(td.containerDefinitions[0].portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }]);
    }
  });

  it('accepts secrets by Secrets Manager ARN, SSM parameter ARN and parameter name', () => {
    const td = compileTaskDefinition(
      ec2({
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        containerDefinitions: [
          container({
            secrets: [
              { name: 'A', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::' },
              { name: 'B', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/db' },
              { name: 'C', valueFrom: '/prod/db' },
              { name: 'D', valueFrom: 'plain_name' },
            ],
          }),
        ],
      }),
    );
    const attrs = td.requiresAttributes.map((a) => a.name);
    assert.ok(attrs.includes('ecs.capability.secrets.asm.environment-variables'));
    assert.ok(attrs.includes('ecs.capability.secrets.ssm.environment-variables'));
  });

  it('derives the container instance attributes the definition needs', () => {
    const td = compileTaskDefinition(
      fargate({
        taskRoleArn: 'arn:aws:iam::123456789012:role/task',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        containerDefinitions: [
          {
            name: 'api',
            image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1',
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p' } },
            healthCheck: { command: ['CMD', 'true'] },
          },
        ],
      }),
    );
    const attrs = td.requiresAttributes.map((a) => a.name);
    for (const a of [
      'com.amazonaws.ecs.capability.logging-driver.awslogs',
      'ecs.capability.execution-role-awslogs',
      'com.amazonaws.ecs.capability.ecr-auth',
      'ecs.capability.execution-role-ecr-pull',
      'ecs.capability.task-eni',
      'com.amazonaws.ecs.capability.task-iam-role',
      'ecs.capability.container-health-check',
      'com.amazonaws.ecs.capability.docker-remote-api.1.24',
    ]) {
      assert.ok(attrs.includes(a), `${a} in ${attrs.join(', ')}`);
    }
  });
});
