/**
 * The AppSpec file of an ECS deployment (YAML or JSON; JSON is YAML), parsed and checked into
 * {@link AppSpec}: the one `AWS::ECS::Service` resource's TaskDefinition, LoadBalancerInfo,
 * PlatformVersion, NetworkConfiguration and CapacityProviderStrategy (converted to ECS's wire
 * form), and the Lambda hooks by lifecycle event. Whether the task definition exists and has the
 * container and port is not checked here: creating the replacement task set checks that and fails
 * the deployment with ECS's message, as AWS does asynchronously.
 */
import { parse } from 'yaml';
import { HOOK_EVENTS, type AppSpec, type HookEventName } from './deployment-types.js';
import { cdError } from './errors.js';

const invalid = (why: string) => cdError('InvalidRevisionException', `The AppSpec file is not valid: ${why}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A list of strings (Subnets, SecurityGroups), or the reason it is not. */
function stringList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) throw invalid(`${what} must be a list of non-empty strings.`);
  return v as string[];
}

/** A non-negative integer, given as a number or a string of digits. */
function integer(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,9}$/.test(v)) return Number(v);
  return undefined;
}

/** NetworkConfiguration.AwsvpcConfiguration -> ECS's networkConfiguration.awsvpcConfiguration. */
function networkConfiguration(v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw invalid('NetworkConfiguration must be a mapping with AwsvpcConfiguration.');
  const unknownKeys = Object.keys(v).filter((k) => k !== 'AwsvpcConfiguration');
  if (unknownKeys.length) throw invalid(`NetworkConfiguration has unknown keys: ${unknownKeys.join(', ')} (only AwsvpcConfiguration is allowed).`);
  const a = v.AwsvpcConfiguration;
  if (!isObject(a)) throw invalid('NetworkConfiguration.AwsvpcConfiguration must be a mapping.');
  const allowed = ['Subnets', 'SecurityGroups', 'AssignPublicIp'];
  const extra = Object.keys(a).filter((k) => !allowed.includes(k));
  if (extra.length) throw invalid(`AwsvpcConfiguration has unknown keys: ${extra.join(', ')} (allowed: ${allowed.join(', ')}).`);
  const out: Record<string, unknown> = {};
  if (a.Subnets !== undefined) out.subnets = stringList(a.Subnets, 'AwsvpcConfiguration.Subnets');
  if (a.SecurityGroups !== undefined) out.securityGroups = stringList(a.SecurityGroups, 'AwsvpcConfiguration.SecurityGroups');
  if (a.AssignPublicIp !== undefined) {
    if (a.AssignPublicIp !== 'ENABLED' && a.AssignPublicIp !== 'DISABLED') throw invalid(`AwsvpcConfiguration.AssignPublicIp must be ENABLED or DISABLED; got ${JSON.stringify(a.AssignPublicIp)}.`);
    out.assignPublicIp = a.AssignPublicIp;
  }
  return { awsvpcConfiguration: out };
}

/** CapacityProviderStrategy -> ECS's capacityProviderStrategy items. */
function capacityProviderStrategy(v: unknown): Record<string, unknown>[] {
  if (!Array.isArray(v)) throw invalid('CapacityProviderStrategy must be a list.');
  return v.map((item, i) => {
    if (!isObject(item)) throw invalid(`CapacityProviderStrategy[${i}] must be a mapping.`);
    const extra = Object.keys(item).filter((k) => !['CapacityProvider', 'Base', 'Weight'].includes(k));
    if (extra.length) throw invalid(`CapacityProviderStrategy[${i}] has unknown keys: ${extra.join(', ')} (allowed: CapacityProvider, Base, Weight).`);
    if (typeof item.CapacityProvider !== 'string' || item.CapacityProvider === '') throw invalid(`CapacityProviderStrategy[${i}].CapacityProvider must be a non-empty string.`);
    const out: Record<string, unknown> = { capacityProvider: item.CapacityProvider };
    for (const [key, wire] of [['Base', 'base'], ['Weight', 'weight']] as const) {
      if (item[key] === undefined) continue;
      const n = integer(item[key]);
      if (n === undefined) throw invalid(`CapacityProviderStrategy[${i}].${key} must be a non-negative integer.`);
      out[wire] = n;
    }
    return out;
  });
}

/** Hooks: a list of one-key mappings, event -> Lambda function name or ARN. */
function hooks(v: unknown): Partial<Record<HookEventName, string>> {
  const out: Partial<Record<HookEventName, string>> = {};
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) throw invalid('Hooks must be a list of mappings such as "- BeforeInstall: MyFunction".');
  for (const entry of v) {
    if (!isObject(entry)) throw invalid('each entry of Hooks must be a mapping of a lifecycle event to a Lambda function.');
    for (const [event, fn] of Object.entries(entry)) {
      if (!(HOOK_EVENTS as readonly string[]).includes(event)) throw invalid(`unknown lifecycle event hook '${event}'; an ECS deployment takes ${HOOK_EVENTS.join(', ')}.`);
      if (typeof fn !== 'string' || fn.trim() === '') throw invalid(`the hook ${event} must name a Lambda function (a non-empty string).`);
      if (out[event as HookEventName] !== undefined) throw invalid(`the hook ${event} is given more than once.`);
      out[event as HookEventName] = fn;
    }
  }
  return out;
}

/**
 * Parses an ECS AppSpec file. Throws InvalidRevisionException naming the problem. The
 * TaskDefinition is kept as written (the caller resolves a family or family:revision to its ARN).
 */
export function parseAppSpec(content: string): AppSpec {
  let doc: unknown;
  try {
    doc = parse(content, { strict: true, uniqueKeys: true });
  } catch (e) {
    throw invalid(`it is neither YAML nor JSON (${(e as Error).message.split('\n')[0]}).`);
  }
  if (!isObject(doc)) throw invalid('the top level must be a mapping with version, Resources and (optionally) Hooks.');
  // version is always 0.0 (YAML reads it as the number 0); an appspec that omits it is still taken.
  if (doc.version !== undefined && doc.version !== 0 && doc.version !== '0.0') throw invalid(`version must be 0.0; got ${JSON.stringify(doc.version)}.`);
  const resources = doc.Resources;
  if (resources === undefined || resources === null) throw invalid('Resources is missing.');
  if (!Array.isArray(resources)) throw invalid('Resources must be a list.');
  const services: Record<string, unknown>[] = [];
  for (const r of resources) {
    if (!isObject(r)) throw invalid('each entry of Resources must be a mapping of a name to a resource.');
    for (const body of Object.values(r)) {
      if (!isObject(body)) throw invalid('a resource must be a mapping with Type and Properties.');
      if (body.Type !== 'AWS::ECS::Service') throw invalid(`a resource of Type ${JSON.stringify(body.Type)} cannot be deployed: an ECS deployment takes one resource of Type AWS::ECS::Service.`);
      services.push(body);
    }
  }
  if (services.length !== 1) throw invalid(`Resources must contain exactly one resource of Type AWS::ECS::Service; got ${services.length}.`);
  const props = services[0].Properties;
  if (!isObject(props)) throw invalid('the AWS::ECS::Service resource has no Properties.');
  const td = props.TaskDefinition;
  if (typeof td !== 'string' || td.trim() === '') throw invalid('Properties.TaskDefinition is missing (give a task definition ARN, family:revision or family).');
  const lbi = props.LoadBalancerInfo;
  if (!isObject(lbi)) throw invalid('Properties.LoadBalancerInfo is missing (it names ContainerName and ContainerPort).');
  if (typeof lbi.ContainerName !== 'string' || lbi.ContainerName === '') throw invalid('LoadBalancerInfo.ContainerName is missing.');
  if (lbi.ContainerPort === undefined || lbi.ContainerPort === null) throw invalid('LoadBalancerInfo.ContainerPort is missing.');
  const port = integer(lbi.ContainerPort);
  if (port === undefined || port < 1 || port > 65535) throw invalid(`LoadBalancerInfo.ContainerPort must be an integer from 1 to 65535; got ${JSON.stringify(lbi.ContainerPort)}.`);
  const spec: AppSpec = { taskDefinition: td, containerName: lbi.ContainerName, containerPort: port, hooks: hooks(doc.Hooks) };
  if (props.PlatformVersion !== undefined) {
    if (typeof props.PlatformVersion !== 'string' || props.PlatformVersion === '') throw invalid('Properties.PlatformVersion must be a string such as LATEST.');
    spec.platformVersion = props.PlatformVersion;
  }
  if (props.NetworkConfiguration !== undefined) spec.networkConfiguration = networkConfiguration(props.NetworkConfiguration);
  if (props.CapacityProviderStrategy !== undefined) spec.capacityProviderStrategy = capacityProviderStrategy(props.CapacityProviderStrategy);
  return spec;
}
