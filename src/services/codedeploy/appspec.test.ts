import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppSpec } from './appspec.js';

const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2';

const yaml = `
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "${TD}"
        LoadBalancerInfo:
          ContainerName: "web"
          ContainerPort: 80
        PlatformVersion: "LATEST"
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: ["subnet-1234abcd", "subnet-5678abcd"]
            SecurityGroups: ["sg-12345678"]
            AssignPublicIp: "ENABLED"
        CapacityProviderStrategy:
          - CapacityProvider: "FARGATE_SPOT"
            Base: 1
            Weight: 2
Hooks:
  - BeforeInstall: "LambdaFunctionToValidateBeforeInstall"
  - AfterInstall: "arn:aws:lambda:us-east-1:123456789012:function:AfterInstall"
  - AfterAllowTestTraffic: "AfterAllowTestTraffic"
  - BeforeAllowTraffic: "BeforeAllowTraffic"
  - AfterAllowTraffic: "AfterAllowTraffic"
`;

/** A minimal appspec with `props` over TargetService's Properties (as JSON), and `top` over the document. */
function json(props: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 0.0,
    Resources: [{ TargetService: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: 'web:1', LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 }, ...props } } }],
    ...top,
  });
}

function refused(content: string, message: RegExp): void {
  assert.throws(() => parseAppSpec(content), (e: any) => {
    assert.ok(e.code, `${content} is refused`);
    assert.equal(e.code, 'InvalidRevisionException');
    assert.match(e.message, message);
    return true;
  });
}

describe('parseAppSpec', () => {
  it('reads the YAML of the AWS documentation into ECS wire form, with every hook', () => {
    assert.deepEqual(parseAppSpec(yaml), {
      taskDefinition: TD,
      containerName: 'web',
      containerPort: 80,
      platformVersion: 'LATEST',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1234abcd', 'subnet-5678abcd'], securityGroups: ['sg-12345678'], assignPublicIp: 'ENABLED' } },
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', base: 1, weight: 2 }],
      hooks: {
        BeforeInstall: 'LambdaFunctionToValidateBeforeInstall',
        AfterInstall: 'arn:aws:lambda:us-east-1:123456789012:function:AfterInstall',
        AfterAllowTestTraffic: 'AfterAllowTestTraffic',
        BeforeAllowTraffic: 'BeforeAllowTraffic',
        AfterAllowTraffic: 'AfterAllowTraffic',
      },
    });
  });

  it('reads JSON, keeps the task definition as written, and takes a port given as a string', () => {
    assert.deepEqual(parseAppSpec(json({ LoadBalancerInfo: { ContainerName: 'api', ContainerPort: '9000' } })), { taskDefinition: 'web:1', containerName: 'api', containerPort: 9000, hooks: {} });
    const noVersion = JSON.parse(json());
    delete noVersion.version;
    assert.equal(parseAppSpec(JSON.stringify(noVersion)).containerPort, 8080, 'an appspec without version is taken');
  });

  it('refuses each problem with InvalidRevisionException naming it', () => {
    const cases: [string, RegExp][] = [
      ['Resources: [unclosed', /neither YAML nor JSON/],
      ['{"Resources": [], "Resources": []}', /neither YAML nor JSON.*unique|neither YAML nor JSON/i],
      ['just a string', /top level must be a mapping/],
      [json({}, { version: 1.5 }), /version must be 0\.0/],
      ['version: 0.0\n', /Resources is missing/],
      [JSON.stringify({ version: 0, Resources: { a: 1 } }), /Resources must be a list/],
      [JSON.stringify({ version: 0, Resources: [] }), /exactly one resource of Type AWS::ECS::Service; got 0/],
      [JSON.stringify({ version: 0, Resources: [{ F: { Type: 'AWS::Lambda::Function', Properties: {} } }] }), /AWS::Lambda::Function.*cannot be deployed/],
      [
        JSON.stringify({ Resources: [{ A: JSON.parse(json()).Resources[0].TargetService }, { B: JSON.parse(json()).Resources[0].TargetService }] }),
        /exactly one resource of Type AWS::ECS::Service; got 2/,
      ],
      [JSON.stringify({ Resources: [{ A: { Type: 'AWS::ECS::Service' } }] }), /no Properties/],
      [json({ TaskDefinition: undefined }), /TaskDefinition is missing/],
      [json({ TaskDefinition: '' }), /TaskDefinition is missing/],
      [json({ LoadBalancerInfo: undefined }), /LoadBalancerInfo is missing/],
      [json({ LoadBalancerInfo: { ContainerPort: 80 } }), /ContainerName is missing/],
      [json({ LoadBalancerInfo: { ContainerName: 'web' } }), /ContainerPort is missing/],
      [json({ LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 0 } }), /ContainerPort must be an integer from 1 to 65535; got 0/],
      [json({ LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 65536 } }), /got 65536/],
      [json({ LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80.5 } }), /got 80\.5/],
      [json({ LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 'http' } }), /got "http"/],
      [json({}, { Hooks: [{ BeforeDeploy: 'f' }] }), /unknown lifecycle event hook 'BeforeDeploy'/],
      [json({}, { Hooks: [{ Install: 'f' }] }), /unknown lifecycle event hook 'Install'/],
      [json({}, { Hooks: [{ BeforeInstall: '' }] }), /BeforeInstall must name a Lambda function/],
      [json({}, { Hooks: [{ BeforeInstall: 3 }] }), /BeforeInstall must name a Lambda function/],
      [json({}, { Hooks: [{ AfterInstall: 'a' }, { AfterInstall: 'b' }] }), /AfterInstall is given more than once/],
      [json({}, { Hooks: { BeforeInstall: 'f' } }), /Hooks must be a list/],
      [json({ NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['s'], AssignPublicIP: 'ENABLED' } } }), /AwsvpcConfiguration has unknown keys: AssignPublicIP/],
      [json({ NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'YES' } } }), /AssignPublicIp must be ENABLED or DISABLED/],
      [json({ NetworkConfiguration: { AwsvpcConfiguration: { Subnets: 'subnet-1' } } }), /Subnets must be a list/],
      [json({ NetworkConfiguration: { awsvpcConfiguration: {} } }), /NetworkConfiguration has unknown keys: awsvpcConfiguration/],
      [json({ CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: -1 }] }), /Weight must be a non-negative integer/],
      [json({ CapacityProviderStrategy: [{ Weight: 1 }] }), /CapacityProvider must be a non-empty string/],
    ];
    for (const [content, message] of cases) refused(content, message);
  });

  it('refuses a key given twice in YAML', () => {
    refused('version: 0.0\nversion: 0.0\nResources: []\n', /neither YAML nor JSON/);
  });
});
