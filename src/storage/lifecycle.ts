/**
 * The bucket lifecycle configuration, rendered from `storage.lifecycle` (defaults from the seed:
 * standard storage 90 days, then infrequent access, archived after 1 year, no expiry; one rule
 * per prefix), applied with the S3 lifecycle API, read back and compared.
 *
 * Every rule also aborts multipart uploads left incomplete for 7 days (an upload interrupted
 * for good, e.g. by a crash, otherwise keeps its parts, and their cost, forever).
 *
 * @module
 */
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
} from "@aws-sdk/client-s3";
import type { StorageConfig } from "../config/mod.ts";
import { phaseRoot } from "./layout.ts";
import type { S3ObjectStore } from "./s3_object_store.ts";

/** Days after which an incomplete multipart upload is aborted. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;

/** One rule in a stable, comparable form. */
export interface LifecycleRuleView {
  /** Rule id, `gam-<prefix>`. */
  id: string;
  /** Full key prefix the rule applies to. */
  prefix: string;
  /** `Enabled` or `Disabled`. */
  status: string;
  /** Transitions, by age. */
  transitions: { days: number; storageClass: string }[];
  /** Expiry of current objects, days. */
  expireDays?: number;
  /** Expiry of non-current versions, days. */
  noncurrentExpireDays?: number;
  /** Abort incomplete multipart uploads after, days. */
  abortIncompleteDays?: number;
}

/**
 * The lifecycle rules the configuration asks for.
 *
 * @param storage The `storage:` section.
 * @returns One rule per configured prefix, sorted by id.
 *
 * @example Usage
 * ```ts
 * import { renderLifecycle } from "./lifecycle.ts";
 * const rules = renderLifecycle({
 *   phase: "phase1",
 *   lifecycle: {
 *     rules: [{
 *       prefix: "models", infrequentAccessAfter: 90, infrequentAccessClass: "STANDARD_IA",
 *       archiveAfter: 365, archiveClass: "GLACIER",
 *     }],
 *   },
 * });
 * rules[0].prefix; // "phase1/models/"
 * ```
 */
export function renderLifecycle(
  storage: Pick<StorageConfig, "prefix" | "phase" | "lifecycle">,
): LifecycleRuleView[] {
  const root = phaseRoot(storage);
  return storage.lifecycle.rules.map((r) => ({
    id: `gam-${r.prefix.replaceAll("/", "-")}`,
    prefix: `${root}${r.prefix}/`,
    status: "Enabled",
    transitions: [
      { days: r.infrequentAccessAfter, storageClass: r.infrequentAccessClass },
      { days: r.archiveAfter, storageClass: r.archiveClass },
    ],
    ...(r.expireAfter !== undefined ? { expireDays: r.expireAfter } : {}),
    ...(r.noncurrentExpireAfter !== undefined
      ? { noncurrentExpireDays: r.noncurrentExpireAfter }
      : {}),
    abortIncompleteDays: ABORT_INCOMPLETE_UPLOAD_DAYS,
  })).sort((a, b) => a.id.localeCompare(b.id));
}

function toSdk(rule: LifecycleRuleView): LifecycleRule {
  return {
    ID: rule.id,
    Filter: { Prefix: rule.prefix },
    Status: rule.status as LifecycleRule["Status"],
    Transitions: rule.transitions.map((t) => ({
      Days: t.days,
      StorageClass: t.storageClass as never,
    })),
    ...(rule.expireDays !== undefined ? { Expiration: { Days: rule.expireDays } } : {}),
    ...(rule.noncurrentExpireDays !== undefined
      ? { NoncurrentVersionExpiration: { NoncurrentDays: rule.noncurrentExpireDays } }
      : {}),
    ...(rule.abortIncompleteDays !== undefined
      ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: rule.abortIncompleteDays } }
      : {}),
  };
}

function fromSdk(rule: LifecycleRule): LifecycleRuleView {
  const prefix = rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix ?? "";
  return {
    id: rule.ID ?? "",
    prefix,
    status: rule.Status ?? "",
    transitions: (rule.Transitions ?? []).map((t) => ({
      days: t.Days ?? 0,
      storageClass: String(t.StorageClass ?? ""),
    })).sort((a, b) => a.days - b.days),
    ...(rule.Expiration?.Days !== undefined ? { expireDays: rule.Expiration.Days } : {}),
    ...(rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined
      ? { noncurrentExpireDays: rule.NoncurrentVersionExpiration.NoncurrentDays }
      : {}),
    ...(rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined
      ? { abortIncompleteDays: rule.AbortIncompleteMultipartUpload.DaysAfterInitiation }
      : {}),
  };
}

/**
 * The bucket's lifecycle rules now (empty when it has none).
 *
 * @param store The bucket.
 * @returns The rules, sorted by id.
 * @throws {Error} The SDK's error when the server does not implement the API
 *   (`NotImplemented`, as versitygw 1.8.0 answers).
 *
 * It needs an S3 server: exercised by tests/storage/lifecycle_test.ts.
 */
export async function readLifecycle(store: S3ObjectStore): Promise<LifecycleRuleView[]> {
  try {
    const out = await store.client.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: store.bucket }),
    );
    return (out.Rules ?? []).map(fromSdk).sort((a, b) => a.id.localeCompare(b.id));
  } catch (e) {
    if (e instanceof Error && e.name === "NoSuchLifecycleConfiguration") return [];
    throw e;
  }
}

/**
 * Differences between two rule sets, one line each (empty when equal).
 *
 * @param wanted The rendered rules.
 * @param actual The bucket's rules.
 * @returns Lines such as `rule gam-models: transitions differ: ...`.
 *
 * @example Usage
 * ```ts
 * import { diffLifecycle } from "./lifecycle.ts";
 * diffLifecycle([], []); // []
 * ```
 */
export function diffLifecycle(
  wanted: readonly LifecycleRuleView[],
  actual: readonly LifecycleRuleView[],
): string[] {
  const out: string[] = [];
  const byId = new Map(actual.map((r) => [r.id, r]));
  for (const w of wanted) {
    const a = byId.get(w.id);
    byId.delete(w.id);
    if (a === undefined) {
      out.push(`rule ${w.id}: missing in the bucket`);
      continue;
    }
    for (const field of Object.keys({ ...w, ...a }) as (keyof LifecycleRuleView)[]) {
      const x = JSON.stringify(w[field]);
      const y = JSON.stringify(a[field]);
      if (x !== y) out.push(`rule ${w.id}: ${field} is ${y ?? "unset"}, expected ${x ?? "unset"}`);
    }
  }
  for (const id of byId.keys()) out.push(`rule ${id}: in the bucket, not in the configuration`);
  return out;
}

/** The bucket's lifecycle differs from the configuration after applying it. */
export class LifecycleMismatchError extends Error {
  /** The differences, one per line. */
  readonly differences: string[];
  /** @param differences What differs. */
  constructor(differences: string[]) {
    super(
      `The bucket's lifecycle rules read back differ from those applied:\n  ${
        differences.join("\n  ")
      }`,
    );
    this.name = "LifecycleMismatchError";
    this.differences = differences;
  }
}

/**
 * Applies the rendered rules (replacing the bucket's whole lifecycle configuration), reads
 * them back and compares.
 *
 * @param store The bucket.
 * @param rules The rules, from {@linkcode renderLifecycle}.
 * @returns The rules read back.
 * @throws {LifecycleMismatchError} When what the server stored differs.
 *
 * It needs an S3 server: exercised by tests/storage/lifecycle_test.ts.
 */
export async function applyLifecycle(
  store: S3ObjectStore,
  rules: readonly LifecycleRuleView[],
): Promise<LifecycleRuleView[]> {
  await store.client.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: store.bucket,
      LifecycleConfiguration: { Rules: rules.map(toSdk) },
    }),
  );
  const back = await readLifecycle(store);
  const diff = diffLifecycle(rules, back);
  if (diff.length > 0) throw new LifecycleMismatchError(diff);
  return back;
}
