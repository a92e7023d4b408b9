/**
 * `gam cache ls|pin|unpin|verify|sweep|clear`: inspect and maintain the Zarr cache.
 *
 * @module
 */
import {
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  type FlagSpec,
  parseFlags,
  UsageError,
} from "../command.ts";
import {
  type CachePolicySource,
  FsCacheStore,
  ReplicationJournal,
  type ReplicationRecord,
  type StoredEntryInfo,
  sweepCache,
  verifyEntry,
} from "../../cache/mod.ts";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../config/mod.ts";
import { createLogger } from "../../observability/mod.ts";

const SUBCOMMANDS = ["ls", "pin", "unpin", "verify", "sweep", "clear"] as const;
type Sub = typeof SUBCOMMANDS[number];

const HELP = `Usage: gam cache <subcommand> [options]

Inspect and maintain the cache of fetched data and processed grids (Zarr v3 groups under
<cacheDir>/ingestion/<modality>/<key>/ and <cacheDir>/preprocessing/<modality>/<bbox_hash>/v<semver>/).

Subcommands:
  ls [PREFIX...]        List entries (path, kind, size, last use, expiry, pinned, and the
                        replication to the bucket: local, pending, replicated, from-bucket)
  pin PATH|PREFIX...    Pin entries: never evicted by the sweeper
  unpin PATH|PREFIX...  Unpin entries
  verify [PREFIX...]    Check every entry's canonical checksum; corrupt ones are quarantined
                        (exit status 1 if any)
  sweep                 Remove leftovers, long-expired entries, and least recently used entries
                        over each modality's byte limit (pinned entries are kept)
  clear --yes           Delete every entry, pin and leftover

Options:
  --cache-dir DIR   Cache folder (default: defaults.cacheDir of the configuration)
  --config FILE     Configuration file (default ${DEFAULT_CONFIG_PATH}; optional for this command)
  --profile NAME    Configuration profile
  --json            Machine-readable output on stdout
  --yes             Confirm \`clear\`
  -h, --help        Show this help`;

const FLAGS = {
  "cache-dir": { type: "string" },
  config: { type: "string" },
  profile: { type: "string" },
  json: { type: "boolean" },
  yes: { type: "boolean" },
} satisfies FlagSpec;

interface Setup {
  cacheDir: string;
  policy: CachePolicySource | undefined;
}

async function setup(values: Record<string, unknown>): Promise<Setup> {
  const configPath = values.config as string | undefined;
  const profile = values.profile as string | undefined;
  const explicitDir = values["cache-dir"] as string | undefined;
  const exists = await Deno.stat(configPath ?? DEFAULT_CONFIG_PATH).then(() => true, () => false);
  if (configPath === undefined && profile === undefined && !exists) {
    return { cacheDir: explicitDir ?? ".gam/cache", policy: undefined };
  }
  const { config } = await loadConfig({ configPath, profile });
  return {
    cacheDir: explicitDir ?? config.defaults.cacheDir,
    policy: (m: string) => config.modalities[m]?.cache,
  };
}

function matches(path: string, prefixes: string[]): boolean {
  return prefixes.length === 0 ||
    prefixes.some((p) => {
      const clean = p.replace(/\/+$/, "");
      return path === clean || path.startsWith(clean + "/");
    });
}

function describe(e: StoredEntryInfo, now: number, replication: ReplicationRecord | undefined) {
  const gam = (e.attributes.gam ?? {}) as Record<string, unknown>;
  const origin = (gam.origin ?? {}) as Record<string, unknown>;
  const expiresAt = typeof gam.expiresAt === "string" ? gam.expiresAt : undefined;
  return {
    path: e.path,
    layer: e.path.split("/")[0],
    modality: e.path.split("/")[1],
    kind: typeof origin.kind === "string" ? origin.kind : "unknown",
    sizeBytes: e.sizeBytes,
    lastAccess: e.lastAccess.toISOString(),
    cachedAt: typeof gam.cachedAt === "string" ? gam.cachedAt : undefined,
    expiresAt,
    stale: expiresAt !== undefined && Date.parse(expiresAt) <= now,
    pinned: e.pinned,
    checksum: typeof gam.checksum === "string" ? gam.checksum : undefined,
    compression: typeof gam.compression === "string" ? gam.compression : undefined,
    // The remote mirror's record: `local` when none (written without storage configured).
    replication: replication === undefined ? { state: "local" as const } : {
      state: replication.state,
      attempts: replication.attempts,
      ...(replication.lastError !== undefined ? { lastError: replication.lastError } : {}),
      ...(replication.replicatedAt !== undefined ? { replicatedAt: replication.replicatedAt } : {}),
      ...(replication.versionId !== undefined ? { versionId: replication.versionId } : {}),
    },
  };
}

/**
 * Bytes as text with binary units (`1.5 MiB`).
 *
 * @example Usage
 * ```ts
 * import { formatBytes } from "./cache.ts";
 * formatBytes(1536); // "1.5 KiB"
 * ```
 */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

function shortTime(iso: string | undefined): string {
  return iso === undefined ? "-" : iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "Z");
}

/** `gam cache`. */
export const cacheCommand: Command = {
  name: "cache",
  help: HELP,
  async run(args) {
    const { values, positionals, help } = parseFlags(args, FLAGS);
    if (help) {
      console.log(HELP);
      return EXIT_OK;
    }
    const [sub, ...rest] = positionals;
    if (sub === undefined) {
      throw new UsageError(`gam cache needs a subcommand: one of ${SUBCOMMANDS.join(", ")}`);
    }
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(
        `unknown subcommand "${sub}" for gam cache; expected one of ${SUBCOMMANDS.join(", ")}`,
      );
    }
    if ((sub === "pin" || sub === "unpin") && rest.length === 0) {
      throw new UsageError(`gam cache ${sub} needs at least one entry PATH or PREFIX`);
    }
    if ((sub === "sweep" || sub === "clear") && rest.length > 0) {
      throw new UsageError(`gam cache ${sub} takes no arguments, got "${rest.join(" ")}"`);
    }
    const { cacheDir, policy } = await setup(values);
    const json = values.json === true;
    const out = (human: string, machine: unknown) =>
      console.log(json ? JSON.stringify(machine) : human);
    const logger = createLogger({ level: json ? "silent" : "warn", format: "pretty" });

    switch (sub as Sub) {
      case "ls": {
        const store = new FsCacheStore(cacheDir, { recordAccess: false });
        const now = Date.now();
        const journal = await new ReplicationJournal(cacheDir).all();
        const entries = (await store.list()).filter((e) => matches(e.path, rest))
          .map((e) => describe(e, now, journal.get(e.path)));
        const total = entries.reduce((s, e) => s + e.sizeBytes, 0);
        const rows = [[
          "PATH",
          "KIND",
          "SIZE",
          "LAST USED",
          "EXPIRES",
          "STATE",
          "PINNED",
          "REPLICATION",
        ]];
        for (const e of entries) {
          rows.push([
            e.path,
            e.kind,
            formatBytes(e.sizeBytes),
            shortTime(e.lastAccess),
            shortTime(e.expiresAt),
            e.stale ? "stale" : "fresh",
            e.pinned ? "yes" : "no",
            e.replication.state === "pending" && (e.replication.attempts ?? 0) > 0
              ? `pending (${e.replication.attempts} failed)`
              : e.replication.state,
          ]);
        }
        const human = entries.length === 0
          ? `No cache entries in ${cacheDir}`
          : `${table(rows)}\n${entries.length} entries, ${formatBytes(total)} in ${cacheDir}`;
        out(human, { cacheDir, entries, totalBytes: total });
        return EXIT_OK;
      }
      case "pin":
      case "unpin": {
        const store = new FsCacheStore(cacheDir, { recordAccess: false });
        const all = await store.list();
        const changed: string[] = [];
        for (const e of all.filter((e) => matches(e.path, rest))) {
          await store.setPinned(e.path, sub === "pin");
          changed.push(e.path);
        }
        if (changed.length === 0) {
          const msg = `gam cache ${sub}: no entry in ${cacheDir} matches ${rest.join(", ")}`;
          if (json) out("", { cacheDir, [sub === "pin" ? "pinned" : "unpinned"]: [] });
          else console.error(msg);
          return EXIT_FAILURE;
        }
        out(
          changed.map((p) => `${sub === "pin" ? "pinned" : "unpinned"} ${p}`).join("\n"),
          { cacheDir, [sub === "pin" ? "pinned" : "unpinned"]: changed },
        );
        return EXIT_OK;
      }
      case "verify": {
        const store = new FsCacheStore(cacheDir, { recordAccess: false });
        const results: { path: string; state: "ok" | "corrupt" | "missing" }[] = [];
        for (const e of await store.list()) {
          if (!matches(e.path, rest)) continue;
          results.push({
            path: e.path,
            state: await verifyEntry({ store, policy, logger }, e.path),
          });
        }
        const corrupt = results.filter((r) => r.state === "corrupt");
        const human = [
          ...results.map((r) => `${r.state.padEnd(7)}  ${r.path}`),
          `${results.length} entries verified, ${corrupt.length} corrupt` +
          (corrupt.length > 0 ? ` (quarantined under ${cacheDir}/.quarantine/)` : ""),
        ].join("\n");
        out(human, { cacheDir, results, corrupt: corrupt.length });
        return corrupt.length > 0 ? EXIT_FAILURE : EXIT_OK;
      }
      case "sweep": {
        const store = new FsCacheStore(cacheDir, { recordAccess: false });
        const report = await sweepCache(store, { policy, logger });
        const human = [
          ...report.evicted.map((e) =>
            `evicted  ${e.path} (${e.reason}, ${formatBytes(e.sizeBytes)})`
          ),
          `Evicted ${report.evicted.length} entries, removed ${report.leftoversRemoved} leftovers, ` +
          `freed ${formatBytes(report.freedBytes)}; now ingestion ` +
          `${formatBytes(report.bytesByLayer.ingestion)}, preprocessing ` +
          `${formatBytes(report.bytesByLayer.preprocessing)}` +
          (report.skippedLocked > 0 ? `; ${report.skippedLocked} busy entries skipped` : ""),
        ].join("\n");
        out(human, { cacheDir, ...report });
        return EXIT_OK;
      }
      case "clear": {
        if (values.yes !== true) {
          throw new UsageError(
            `gam cache clear deletes every entry in ${cacheDir}; add --yes to confirm`,
          );
        }
        const store = new FsCacheStore(cacheDir);
        const before = await store.list();
        await store.clear();
        out(`Cleared ${before.length} entries from ${cacheDir}`, {
          cacheDir,
          cleared: before.length,
        });
        return EXIT_OK;
      }
    }
  },
};
