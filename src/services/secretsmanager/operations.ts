/**
 * The Secrets Manager operations: secrets and their values, versions and staging labels,
 * deletion with a recovery window, restore, listing, and tags.
 */
import { paginate } from '../../pagination/index.js';
import type { Tag } from '../../tagging/index.js';
import { newSecretArn } from './arns.js';
import type { SecretsManagerDeps } from './deps.js';
import { invalidNextToken, invalidParameter, invalidRequest, limitExceeded, resourceExists, validation } from './errors.js';
import {
  listVersions,
  openVersion,
  purgeExpired,
  putVersion,
  removeSecret,
  requireLiveSecret,
  requireSecret,
  stagesByVersion,
  type SecretRow,
  type SecretValue,
} from './secrets.js';

/** A tag as Secrets Manager writes it on the wire. */
interface WireTag {
  Key?: string;
  Value?: string;
}

/** The most tags one secret may carry. */
export const MAX_TAGS = 50;
const NAME = /^[A-Za-z0-9/_+=.@-]+$/;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_RECOVERY_DAYS = 30;

/** The value a request carries, if any (both kinds at once is refused). */
function valueOf(input: { SecretString?: string; SecretBinary?: Buffer }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (input.SecretString !== undefined) return { kind: 'string', text: input.SecretString };
  if (input.SecretBinary !== undefined) {
    if (input.SecretBinary.length === 0) throw invalidParameter('SecretBinary must not be empty.');
    return { kind: 'binary', bytes: input.SecretBinary };
  }
  return undefined;
}

function checkTags(tags: readonly WireTag[]): Tag[] {
  return tags.map((t) => {
    if (t.Key === undefined || t.Key === '') throw invalidParameter('Tag keys must not be null or empty.');
    if (/^aws:/i.test(t.Key)) throw invalidParameter(`Tag key '${t.Key}' is not valid: the aws: prefix is reserved for AWS use.`);
    return { key: t.Key, value: t.Value ?? '' };
  });
}

function addTags(deps: SecretsManagerDeps, arn: string, tags: Tag[]): void {
  const existing = new Set(deps.tags.list(arn).map((t) => t.key));
  const total = new Set([...existing, ...tags.map((t) => t.key)]).size;
  if (total > MAX_TAGS) throw limitExceeded(`A secret can have at most ${MAX_TAGS} tags; this request would give it ${total}.`);
  deps.tags.put(arn, tags);
}

const date = (iso: string | null) => (iso === null ? undefined : new Date(iso));
const dayOf = (d: Date) => d.toISOString().slice(0, 10) + 'T00:00:00.000Z';

/** What DescribeSecret and ListSecrets say about a secret (never its value). */
function describe(deps: SecretsManagerDeps, s: SecretRow) {
  const tags = deps.tags.list(s.arn).map((t) => ({ Key: t.key, Value: t.value }));
  const stages = Object.fromEntries(stagesByVersion(deps, s.arn));
  return {
    ARN: s.arn,
    Name: s.name,
    Description: s.description ?? undefined,
    KmsKeyId: s.kms_key_id ?? undefined,
    RotationEnabled: false,
    LastChangedDate: date(s.last_changed_at),
    LastAccessedDate: date(s.last_accessed_at),
    DeletedDate: date(s.deleted_at),
    Tags: tags.length ? tags : undefined,
    CreatedDate: date(s.created_at),
    stages,
  };
}

/** Secrets Manager filter keys and how each matches (prefix; `!` negates). */
function matchesFilter(deps: SecretsManagerDeps, s: SecretRow, key: string, values: string[]): boolean {
  const tags = () => deps.tags.list(s.arn);
  const test = (value: string): boolean => {
    const negate = value.startsWith('!');
    const v = negate ? value.slice(1) : value;
    const prefix = (field: string | null | undefined, caseless = false) =>
      field != null && (caseless ? field.toLowerCase().startsWith(v.toLowerCase()) : field.startsWith(v));
    let hit: boolean;
    switch (key) {
      case 'name':
        hit = prefix(s.name);
        break;
      case 'description':
        hit = prefix(s.description, true);
        break;
      case 'tag-key':
        hit = tags().some((t) => prefix(t.key));
        break;
      case 'tag-value':
        hit = tags().some((t) => prefix(t.value));
        break;
      case 'primary-region':
        hit = prefix(deps.scope.region);
        break;
      case 'owning-service':
        hit = false;
        break;
      default: {
        // `all`: any word of the value matches a word of the name, description or tags.
        const words = [s.name, s.description ?? '', ...tags().flatMap((t) => [t.key, t.value])].flatMap((f) => f.toLowerCase().split(/[\s/_+=.@-]+/));
        hit = v.toLowerCase().split(/\s+/).filter(Boolean).every((w) => words.some((x) => x.startsWith(w))) || prefix(s.name, true);
      }
    }
    return negate ? !hit : hit;
  };
  const positives = values.filter((v) => !v.startsWith('!'));
  const negatives = values.filter((v) => v.startsWith('!'));
  return (positives.length === 0 || positives.some(test)) && negatives.every(test);
}

/** Builds the Secrets Manager operations. */
export function secretsManagerOperations(deps: SecretsManagerDeps) {
  const now = () => deps.now();
  return {
    CreateSecret(input: {
      Name: string;
      ClientRequestToken?: string;
      Description?: string;
      KmsKeyId?: string;
      SecretString?: string;
      SecretBinary?: Buffer;
      Tags?: WireTag[];
      AddReplicaRegions?: unknown[];
    }) {
      if (!NAME.test(input.Name)) throw validation('Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
      if (input.AddReplicaRegions?.length) throw invalidRequest('Berth serves one region and does not replicate secrets to other regions.');
      const value = valueOf(input);
      const tags = checkTags(input.Tags ?? []);
      purgeExpired(deps);
      const existing = deps.store.prepare('SELECT * FROM sm_secrets WHERE name = ?').get(input.Name) as SecretRow | undefined;
      if (existing) {
        if (existing.deleted_at !== null) throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
        // A retry of the same call (same token, same value) answers as the first one did.
        const retry = value && input.ClientRequestToken !== undefined && deps.store.prepare('SELECT 1 FROM sm_versions WHERE secret_arn = ? AND version_id = ?').get(existing.arn, input.ClientRequestToken);
        if (retry) {
          const r = putVersion(deps, existing, input.ClientRequestToken, value);
          return { ARN: existing.arn, Name: existing.name, VersionId: r.versionId };
        }
        throw resourceExists(`The operation failed because the secret ${input.Name} already exists.`);
      }
      const at = now().toISOString();
      const secret: SecretRow = {
        arn: newSecretArn(deps.scope, input.Name),
        name: input.Name,
        description: input.Description ?? null,
        kms_key_id: input.KmsKeyId || null,
        created_at: at,
        last_changed_at: at,
        last_accessed_at: null,
        deleted_at: null,
        deletion_date: null,
      };
      deps.store
        .prepare(
          `INSERT INTO sm_secrets (arn, name, description, kms_key_id, created_at, last_changed_at, last_accessed_at, deleted_at, deletion_date)
           VALUES (@arn, @name, @description, @kms_key_id, @created_at, @last_changed_at, @last_accessed_at, @deleted_at, @deletion_date)`,
        )
        .run(secret);
      addTags(deps, secret.arn, tags);
      const version = value ? putVersion(deps, secret, input.ClientRequestToken, value) : undefined;
      return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
    },

    GetSecretValue(input: { SecretId: string; VersionId?: string; VersionStage?: string }) {
      const secret = requireLiveSecret(deps, input.SecretId);
      const v = openVersion(deps, secret, input.VersionId, input.VersionStage);
      const today = dayOf(now());
      if (secret.last_accessed_at !== today) deps.store.prepare('UPDATE sm_secrets SET last_accessed_at = ? WHERE arn = ?').run(today, secret.arn);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: v.versionId,
        SecretString: v.value.kind === 'string' ? v.value.text : undefined,
        SecretBinary: v.value.kind === 'binary' ? v.value.bytes : undefined,
        VersionStages: v.stages,
        CreatedDate: new Date(v.createdAt),
      };
    },

    PutSecretValue(input: { SecretId: string; ClientRequestToken?: string; SecretString?: string; SecretBinary?: Buffer; VersionStages?: string[] }) {
      const secret = requireLiveSecret(deps, input.SecretId);
      const value = valueOf(input);
      if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
      const r = putVersion(deps, secret, input.ClientRequestToken, value, input.VersionStages ?? undefined);
      return { ARN: secret.arn, Name: secret.name, VersionId: r.versionId, VersionStages: r.stages };
    },

    UpdateSecret(input: { SecretId: string; ClientRequestToken?: string; Description?: string; KmsKeyId?: string; SecretString?: string; SecretBinary?: Buffer }) {
      const secret = requireLiveSecret(deps, input.SecretId);
      const value = valueOf(input);
      const at = now().toISOString();
      if (input.Description !== undefined || input.KmsKeyId !== undefined) {
        deps.store
          .prepare('UPDATE sm_secrets SET description = ?, kms_key_id = ?, last_changed_at = ? WHERE arn = ?')
          .run(input.Description ?? secret.description, input.KmsKeyId === undefined ? secret.kms_key_id : input.KmsKeyId || null, at, secret.arn);
      }
      const version = value ? putVersion(deps, secret, input.ClientRequestToken, value) : undefined;
      return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
    },

    DescribeSecret(input: { SecretId: string }) {
      const { stages, ...d } = describe(deps, requireSecret(deps, input.SecretId));
      return { ...d, VersionIdsToStages: stages };
    },

    ListSecrets(input: {
      IncludePlannedDeletion?: boolean;
      MaxResults?: number;
      NextToken?: string;
      Filters?: { Key?: string; Values?: string[] }[];
      SortOrder?: 'asc' | 'desc';
      SortBy?: string;
    }) {
      purgeExpired(deps);
      const filters = (input.Filters ?? []).map((f) => {
        if (f.Key === undefined) throw invalidParameter('Each filter needs a Key.');
        if (!f.Values?.length) throw invalidParameter(`The filter '${f.Key}' needs at least one value.`);
        return { key: f.Key, values: f.Values };
      });
      const order = input.SortBy ?? 'created-date';
      const column = { 'created-date': 'created_at', 'last-accessed-date': 'last_accessed_at', 'last-changed-date': 'last_changed_at', name: 'name' }[order] ?? 'created_at';
      const dir = input.SortOrder === 'asc' ? 'ASC' : 'DESC';
      const rows = deps.store.prepare(`SELECT * FROM sm_secrets ORDER BY ${column} ${dir}, rowid ${dir}`).all() as SecretRow[];
      const chosen = rows
        .filter((s) => input.IncludePlannedDeletion || s.deleted_at === null)
        .filter((s) => filters.every((f) => matchesFilter(deps, s, f.key, f.values)));
      const scope = JSON.stringify(['ListSecrets', input.IncludePlannedDeletion ?? false, filters, order, dir]);
      const page = paginate(chosen, { nextToken: input.NextToken, maxResults: input.MaxResults, defaultMax: 100, limit: 100, scope }, invalidNextToken);
      return {
        SecretList: page.items.map((s) => {
          const { stages, ...d } = describe(deps, s);
          return { ...d, SecretVersionsToStages: stages };
        }),
        NextToken: page.nextToken,
      };
    },

    ListSecretVersionIds(input: { SecretId: string; MaxResults?: number; NextToken?: string; IncludeDeprecated?: boolean }) {
      const secret = requireSecret(deps, input.SecretId);
      const versions = listVersions(deps, secret.arn).filter((v) => input.IncludeDeprecated || v.stages.length > 0);
      const scope = JSON.stringify(['ListSecretVersionIds', secret.arn, input.IncludeDeprecated ?? false]);
      const page = paginate(versions, { nextToken: input.NextToken, maxResults: input.MaxResults, defaultMax: 100, limit: 100, scope }, invalidNextToken);
      return {
        ARN: secret.arn,
        Name: secret.name,
        Versions: page.items.map((v) => ({
          VersionId: v.versionId,
          VersionStages: v.stages.length ? v.stages : undefined,
          CreatedDate: new Date(v.createdAt),
          KmsKeyIds: [secret.kms_key_id ?? 'DefaultEncryptionKey'],
        })),
        NextToken: page.nextToken,
      };
    },

    DeleteSecret(input: { SecretId: string; RecoveryWindowInDays?: number; ForceDeleteWithoutRecovery?: boolean }) {
      if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
        throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
      }
      const days = input.RecoveryWindowInDays ?? DEFAULT_RECOVERY_DAYS;
      if (!input.ForceDeleteWithoutRecovery && (days < 7 || days > 30)) {
        throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      }
      const secret = requireSecret(deps, input.SecretId);
      const at = now();
      if (input.ForceDeleteWithoutRecovery) {
        removeSecret(deps, secret.arn);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: at };
      }
      if (secret.deleted_at !== null) throw invalidRequest("You can't perform this operation on the secret because it was already scheduled for deletion.");
      const deletionDate = new Date(at.getTime() + days * DAY_MS);
      deps.store.prepare('UPDATE sm_secrets SET deleted_at = ?, deletion_date = ? WHERE arn = ?').run(at.toISOString(), deletionDate.toISOString(), secret.arn);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate };
    },

    RestoreSecret(input: { SecretId: string }) {
      const secret = requireSecret(deps, input.SecretId);
      deps.store.prepare('UPDATE sm_secrets SET deleted_at = NULL, deletion_date = NULL WHERE arn = ?').run(secret.arn);
      return { ARN: secret.arn, Name: secret.name };
    },

    TagResource(input: { SecretId: string; Tags: WireTag[] }) {
      const secret = requireLiveSecret(deps, input.SecretId);
      addTags(deps, secret.arn, checkTags(input.Tags));
      return {};
    },

    UntagResource(input: { SecretId: string; TagKeys: string[] }) {
      const secret = requireLiveSecret(deps, input.SecretId);
      deps.tags.remove(secret.arn, input.TagKeys);
      return {};
    },
  };
}
