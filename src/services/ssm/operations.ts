/**
 * The Parameter Store operations: PutParameter, GetParameter(s), GetParametersByPath,
 * GetParameterHistory, DeleteParameter(s), DescribeParameters, and parameter tags.
 */
import type { CallContext } from '../../api/index.js';
import { paginate } from '../../pagination/index.js';
import type { Tag } from '../../tagging/index.js';
import type { SsmDeps } from './deps.js';
import { parameterNotFound, ssmError, validation } from './errors.js';
import { checkNewName, checkPath, parameterArn, underPath } from './names.js';
import { allCurrent, current, findParameter, removeParameter, seal, wireValue, type VersionRow } from './parameters.js';

type ParameterType = VersionRow['type'];
interface WireTag {
  Key: string;
  Value: string;
}
interface StringFilter {
  Key: string;
  Option?: string;
  Values?: string[];
}

/** The most versions a parameter keeps; the oldest goes when a new one would exceed it. */
export const MAX_VERSIONS = 100;
/** The most tags one parameter may carry. */
export const MAX_TAGS = 50;
/** The KMS key AWS uses for SecureString when none is named. */
export const DEFAULT_KEY_ID = 'alias/aws/ssm';
const STANDARD_MAX = 4096;
const ADVANCED_MAX = 8192;

const invalidNextToken = (message: string) => ssmError('InvalidNextToken', message);
const userArn = (ctx: CallContext) => `arn:aws:iam::${ctx.accountId}:root`;

function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 's');
  } catch {
    throw ssmError('InvalidAllowedPatternException', 'The parameter AllowedPattern is not a valid regular expression.');
  }
}

function chooseTier(requested: string | undefined, existing: VersionRow | undefined, size: number): VersionRow['tier'] {
  if (requested === 'Intelligent-Tiering') return size > STANDARD_MAX || existing?.tier === 'Advanced' ? 'Advanced' : 'Standard';
  const tier = (requested as VersionRow['tier'] | undefined) ?? existing?.tier ?? 'Standard';
  if (tier === 'Standard' && existing?.tier === 'Advanced') {
    throw validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.");
  }
  if (tier === 'Standard' && size > STANDARD_MAX) {
    throw validation(`Standard tier parameters support a maximum parameter value of ${STANDARD_MAX} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`);
  }
  if (size > ADVANCED_MAX) throw validation(`Advanced tier parameters support a maximum parameter value of ${ADVANCED_MAX} characters.`);
  return tier;
}

function checkTags(tags: readonly WireTag[], existing: readonly Tag[] = []): Tag[] {
  const out = tags.map((t) => {
    if (/^aws:/i.test(t.Key)) throw validation(`Tag key '${t.Key}' is not valid: the aws: prefix is reserved for AWS use.`);
    return { key: t.Key, value: t.Value };
  });
  const total = new Set([...existing.map((t) => t.key), ...out.map((t) => t.key)]).size;
  if (total > MAX_TAGS) throw ssmError('TooManyTagsError', `A parameter can have at most ${MAX_TAGS} tags; this request would give it ${total}.`);
  return out;
}

/** Whether a parameter matches one ParameterStringFilter (keys checked by {@link checkFilters}). */
function matches(deps: SsmDeps, p: VersionRow & { arn: string }, f: StringFilter): boolean {
  const values = f.Values ?? [];
  if (f.Key.startsWith('tag:')) {
    const tag = deps.tags.list(p.arn).find((t) => t.key === f.Key.slice(4));
    return tag !== undefined && (values.length === 0 || values.includes(tag.value));
  }
  switch (f.Key) {
    case 'Name': {
      const option = f.Option ?? 'Equals';
      const name = (v: string) => (p.name.startsWith('/') && !v.startsWith('/') ? `/${v}` : v);
      return values.some((v) => (option === 'Equals' ? p.name === name(v) : option === 'BeginsWith' ? p.name.startsWith(name(v)) : p.name.includes(v)));
    }
    case 'Path':
      return values.some((v) => underPath(p.name, checkPath(v), f.Option === 'Recursive'));
    case 'Type':
      return values.includes(p.type);
    case 'KeyId':
      return p.key_id !== null && values.includes(p.key_id);
    case 'Tier':
      return values.includes(p.tier);
    case 'DataType':
      return values.includes(p.data_type);
    default:
      return false; // Label: Berth does not label versions yet, so no parameter has one.
  }
}

const OPTIONS: Record<string, string[]> = {
  Name: ['Equals', 'BeginsWith', 'Contains'],
  Path: ['OneLevel', 'Recursive'],
  Type: ['Equals'],
  KeyId: ['Equals'],
  Tier: ['Equals'],
  DataType: ['Equals'],
  Label: ['Equals'],
};

function checkFilters(filters: readonly StringFilter[], allowed: readonly string[]): void {
  for (const f of filters) {
    const key = f.Key.startsWith('tag:') ? 'tag:' : f.Key;
    if (!allowed.includes(key)) {
      throw ssmError('InvalidFilterKey', `The filter key ${f.Key} is not valid here. Valid filter keys include: ${allowed.join(', ')}.`);
    }
    const options = key === 'tag:' ? ['Equals'] : OPTIONS[key];
    if (f.Option !== undefined && !options.includes(f.Option)) {
      throw ssmError('InvalidFilterOption', `The filter option ${f.Option} is not valid for key ${f.Key}. Valid options: ${options.join(', ')}.`);
    }
    if (key !== 'tag:' && !f.Values?.length) throw ssmError('InvalidFilterValue', `The filter ${f.Key} needs at least one value.`);
    if (key === 'Path') f.Values!.forEach((v) => checkPath(v));
  }
}

/** A parameter as GetParameter(s) returns it. */
function toParameter(deps: SsmDeps, arn: string, row: VersionRow, withDecryption: boolean, selector?: string) {
  return {
    Name: row.name,
    Type: row.type,
    Value: wireValue(deps, arn, row, withDecryption),
    Version: row.version,
    Selector: selector,
    LastModifiedDate: new Date(row.modified_at),
    ARN: arn,
    DataType: row.data_type,
  };
}

/** A parameter as DescribeParameters returns it: never its value. */
function toMetadata(p: VersionRow & { arn: string }) {
  return {
    Name: p.name,
    ARN: p.arn,
    Type: p.type,
    KeyId: p.key_id ?? undefined,
    LastModifiedDate: new Date(p.modified_at),
    LastModifiedUser: p.modified_by,
    Description: p.description ?? undefined,
    AllowedPattern: p.allowed_pattern ?? undefined,
    Version: p.version,
    Tier: p.tier,
    Policies: [],
    DataType: p.data_type,
  };
}

/** Builds the Parameter Store operations. */
export function ssmOperations(deps: SsmDeps) {
  return {
    PutParameter(
      input: {
        Name: string;
        Value: string;
        Type?: ParameterType;
        Description?: string;
        KeyId?: string;
        Overwrite?: boolean;
        AllowedPattern?: string;
        Tags?: WireTag[];
        Tier?: string;
        Policies?: string;
        DataType?: string;
      },
      ctx: CallContext,
    ) {
      const name = input.Name.startsWith('arn:') ? (findParameterName(deps, input.Name) ?? input.Name) : input.Name;
      checkNewName(name);
      if (input.Value === '') throw validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1");
      if (input.Policies !== undefined) throw validation('Berth does not support parameter policies yet; put the parameter without Policies.');
      const head = current(deps, name);
      const existing = head && (deps.store.prepare('SELECT * FROM ssm_parameter_versions WHERE name = ? AND version = ?').get(name, head.version) as VersionRow);
      if (existing && !input.Overwrite) {
        throw ssmError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
      }
      if (existing && input.Tags?.length) {
        throw validation('Invalid request: tags and overwrite can\'t be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.');
      }
      const type = input.Type ?? existing?.type;
      if (type === undefined) throw validation('A parameter type is required when you create a parameter.');
      if (input.KeyId !== undefined && type !== 'SecureString') throw validation(`KeyId is only valid for SecureString parameters; this parameter is of type ${type}.`);
      const dataType = input.DataType || existing?.data_type || 'text';
      if (dataType !== 'text') throw validation(`The following data type is not supported: ${dataType} (Data type names are all lowercase.) Berth supports: text.`);
      const allowedPattern = input.AllowedPattern ?? existing?.allowed_pattern ?? null;
      if (allowedPattern !== null && allowedPattern !== '' && !compilePattern(allowedPattern).test(input.Value)) {
        throw ssmError('ParameterPatternMismatchException', `Parameter value, cannot be validated against allowedPattern: ${allowedPattern}`);
      }
      const tier = chooseTier(input.Tier, existing, Buffer.byteLength(input.Value, 'utf8'));
      const tags = checkTags(input.Tags ?? []);
      const arn = head?.arn ?? parameterArn(deps.scope, name);
      const version = (head?.version ?? 0) + 1;
      if (!head) deps.store.prepare('INSERT INTO ssm_parameters (name, arn, version) VALUES (?, ?, ?)').run(name, arn, version);
      else deps.store.prepare('UPDATE ssm_parameters SET version = ? WHERE name = ?').run(version, name);
      const keyId = type === 'SecureString' ? (input.KeyId ?? (existing?.type === 'SecureString' ? existing.key_id : null) ?? DEFAULT_KEY_ID) : null;
      deps.store
        .prepare(
          `INSERT INTO ssm_parameter_versions (name, version, type, sealed, description, key_id, allowed_pattern, tier, data_type, modified_at, modified_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(name, version, type, seal(deps, arn, version, input.Value), input.Description ?? existing?.description ?? null, keyId, allowedPattern, tier, dataType, deps.now().toISOString(), userArn(ctx));
      deps.store.prepare('DELETE FROM ssm_parameter_versions WHERE name = ? AND version <= ?').run(name, version - MAX_VERSIONS);
      deps.tags.put(arn, tags);
      return { Version: version, Tier: tier };
    },

    GetParameter(input: { Name: string; WithDecryption?: boolean }) {
      const { arn, row, selector } = findParameter(deps, input.Name);
      return { Parameter: toParameter(deps, arn, row, input.WithDecryption ?? false, selector) };
    },

    GetParameters(input: { Names: string[]; WithDecryption?: boolean }) {
      const found: ReturnType<typeof toParameter>[] = [];
      const invalid: string[] = [];
      for (const name of new Set(input.Names)) {
        try {
          const { arn, row, selector } = findParameter(deps, name);
          found.push(toParameter(deps, arn, row, input.WithDecryption ?? false, selector));
        } catch (err) {
          if (!(err instanceof Error && 'code' in err && (err.code === 'ParameterNotFound' || err.code === 'ParameterVersionNotFound'))) throw err;
          invalid.push(name);
        }
      }
      return { Parameters: found, InvalidParameters: invalid };
    },

    GetParametersByPath(input: { Path: string; Recursive?: boolean; ParameterFilters?: StringFilter[]; WithDecryption?: boolean; MaxResults?: number; NextToken?: string }) {
      const path = checkPath(input.Path);
      const filters = input.ParameterFilters ?? [];
      checkFilters(filters, ['Type', 'KeyId', 'Label', 'Tier', 'DataType', 'tag:']);
      const chosen = allCurrent(deps).filter((p) => underPath(p.name, path, input.Recursive ?? false) && filters.every((f) => matches(deps, p, f)));
      const scope = JSON.stringify(['GetParametersByPath', path, input.Recursive ?? false, filters]);
      const page = paginate(chosen, { nextToken: input.NextToken, maxResults: input.MaxResults, defaultMax: 10, limit: 10, scope }, invalidNextToken);
      return { Parameters: page.items.map((p) => toParameter(deps, p.arn, p, input.WithDecryption ?? false)), NextToken: page.nextToken };
    },

    GetParameterHistory(input: { Name: string; WithDecryption?: boolean; MaxResults?: number; NextToken?: string }) {
      const { arn, row } = findParameter(deps, input.Name.startsWith('arn:') ? input.Name : input.Name.split(':')[0]);
      const rows = deps.store.prepare('SELECT * FROM ssm_parameter_versions WHERE name = ? ORDER BY version').all(row.name) as VersionRow[];
      const page = paginate(rows, { nextToken: input.NextToken, maxResults: input.MaxResults, defaultMax: 50, limit: 50, scope: `GetParameterHistory ${row.name}` }, invalidNextToken);
      return {
        Parameters: page.items.map((r) => ({
          ...toMetadata({ ...r, arn }),
          Value: wireValue(deps, arn, r, input.WithDecryption ?? false),
          Labels: [],
        })),
        NextToken: page.nextToken,
      };
    },

    DeleteParameter(input: { Name: string }) {
      const name = findParameterName(deps, input.Name);
      if (name === undefined) throw parameterNotFound(input.Name);
      removeParameter(deps, name, current(deps, name)!.arn);
      return {};
    },

    DeleteParameters(input: { Names: string[] }) {
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const given of new Set(input.Names)) {
        const name = findParameterName(deps, given);
        if (name === undefined) invalid.push(given);
        else {
          removeParameter(deps, name, current(deps, name)!.arn);
          deleted.push(given);
        }
      }
      return { DeletedParameters: deleted, InvalidParameters: invalid };
    },

    DescribeParameters(input: { Filters?: { Key: string; Values: string[] }[]; ParameterFilters?: StringFilter[]; MaxResults?: number; NextToken?: string; Shared?: boolean }) {
      if (input.Filters?.length && input.ParameterFilters?.length) throw validation('You can use either Filters or ParameterFilters in a single request.');
      // The older Filters are ParameterFilters with Name matched as BeginsWith.
      const filters: StringFilter[] = input.ParameterFilters ?? (input.Filters ?? []).map((f) => ({ Key: f.Key, Option: f.Key === 'Name' ? 'BeginsWith' : undefined, Values: f.Values }));
      checkFilters(filters, ['Name', 'Path', 'Type', 'KeyId', 'Label', 'Tier', 'DataType', 'tag:']);
      const chosen = input.Shared ? [] : allCurrent(deps).filter((p) => filters.every((f) => matches(deps, p, f)));
      const scope = JSON.stringify(['DescribeParameters', filters]);
      const page = paginate(chosen, { nextToken: input.NextToken, maxResults: input.MaxResults, defaultMax: 10, limit: 50, scope }, invalidNextToken);
      return { Parameters: page.items.map(toMetadata), NextToken: page.nextToken };
    },

    AddTagsToResource(input: { ResourceType: string; ResourceId: string; Tags: WireTag[] }) {
      const arn = taggable(deps, input.ResourceType, input.ResourceId);
      deps.tags.put(arn, checkTags(input.Tags, deps.tags.list(arn)));
      return {};
    },

    RemoveTagsFromResource(input: { ResourceType: string; ResourceId: string; TagKeys: string[] }) {
      deps.tags.remove(taggable(deps, input.ResourceType, input.ResourceId), input.TagKeys);
      return {};
    },

    ListTagsForResource(input: { ResourceType: string; ResourceId: string }) {
      return { TagList: deps.tags.list(taggable(deps, input.ResourceType, input.ResourceId)).map((t) => ({ Key: t.key, Value: t.value })) };
    },
  };
}

/** The stored name a name or ARN (no selector) refers to, if the parameter exists. */
function findParameterName(deps: SsmDeps, ref: string): string | undefined {
  try {
    const { row, selector } = findParameter(deps, ref);
    return selector === undefined ? row.name : undefined;
  } catch {
    return undefined;
  }
}

function taggable(deps: SsmDeps, type: string, id: string): string {
  if (type !== 'Parameter') throw ssmError('InvalidResourceType', `Berth tags only resources of type Parameter in SSM; '${type}' is not supported.`);
  const name = findParameterName(deps, id);
  if (name === undefined) throw ssmError('InvalidResourceId', 'The resource ID is not valid. Verify that you entered the correct ID and try again.');
  return current(deps, name)!.arn;
}
