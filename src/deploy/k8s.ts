/**
 * Kubernetes manifests of a deployment, rendered from the configuration's worker profiles
 * (`execution.profiles`) in the seed's order: 1 a migration Job (`gam db migrate`), 2 the
 * ingestion workers and 3 the preprocessing workers (one Deployment per profile, `gam worker
 * --profile <name>`: a profile serving the `ingest` queue is an ingestion worker, any other a
 * preprocessing one), 4 the orchestrator (`gam serve`), 5 the schedules, which live in the queue
 * (no CronJob). Secrets are referenced (`secretKeyRef`, secret volumes), never written.
 *
 * @module
 */
import { stringify } from "yaml";
import type { GamConfig, WorkerProfile } from "../config/mod.ts";
import type { Color } from "./colors.ts";

/** Where the configuration file is mounted in every container. */
export const K8S_CONFIG_PATH = "/etc/gam/ingestion.yaml";
/** The port of `/metrics`, `/healthz` and `/readyz` in every container. */
export const K8S_PROBE_PORT = 9464;
/** The Secret (key `url`) holding `DATABASE_URL`. */
export const K8S_DATABASE_SECRET = "gam-database";
/** The Secret holding the `fromEnv` auth secrets, one key per variable name. */
export const K8S_AUTH_SECRET = "gam-auth";

/** Options of {@linkcode renderK8s}. */
export interface K8sOptions {
  /** The container image holding `gam` on its PATH. */
  image: string;
  /** The configuration file's text, shipped in a ConfigMap. */
  configText: string;
  /** A blue/green color: names get `-<color>`, pods the label `gam/color`. */
  color?: Color;
}

/** One rendered manifest file. */
export interface K8sManifest {
  /** File name, numbered in the deployment order, e.g. `02-worker-io.yaml`. */
  file: string;
  /** Seed step: 0 configuration, 1 migrations, 2 ingestion workers, 3 preprocessing workers, 4 orchestrator. */
  step: 0 | 1 | 2 | 3 | 4;
  /** What it is, for `gam deploy plan --target k8s`. */
  describe: string;
  /** The Kubernetes object. */
  object: Record<string, unknown>;
}

const kebab = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

function mebibytes(bytes: number): string {
  return `${Math.ceil(bytes / 1024 ** 2)}Mi`;
}

/** The environment of every container: secret references and the probes' listen address. */
function envOf(config: GamConfig): Record<string, unknown>[] {
  const env: Record<string, unknown>[] = [
    {
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: K8S_DATABASE_SECRET, key: "url" } },
    },
    // Probes come from the kubelet, not loopback.
    { name: "GAM__SERVICE__LISTEN", value: `0.0.0.0:${K8S_PROBE_PORT}` },
  ];
  for (const [, profile] of Object.entries(config.auth)) {
    if ("fromEnv" in profile) {
      env.push({
        name: profile.fromEnv,
        valueFrom: { secretKeyRef: { name: K8S_AUTH_SECRET, key: profile.fromEnv } },
      });
    }
  }
  return env;
}

/** Secret volumes for `fromFile` auth profiles: Secret `gam-auth-<name>`, key `secret`. */
function fileSecrets(config: GamConfig): { volumes: unknown[]; mounts: unknown[] } {
  const volumes: unknown[] = [];
  const mounts: unknown[] = [];
  for (const [name, profile] of Object.entries(config.auth)) {
    if (!("fromFile" in profile)) continue;
    const i = profile.fromFile.lastIndexOf("/");
    const dir = i > 0 ? profile.fromFile.slice(0, i) : "/";
    const file = profile.fromFile.slice(i + 1);
    const volume = `auth-${kebab(name)}`;
    volumes.push({
      name: volume,
      secret: { secretName: `gam-auth-${kebab(name)}`, items: [{ key: "secret", path: file }] },
    });
    mounts.push({ name: volume, mountPath: dir, readOnly: true });
  }
  return { volumes, mounts };
}

function podSpec(
  config: GamConfig,
  options: K8sOptions,
  container: Record<string, unknown>,
  extra: { restartPolicy?: string } = {},
): Record<string, unknown> {
  const files = fileSecrets(config);
  const configName = `gam-config${options.color ? `-${options.color}` : ""}`;
  return {
    ...extra,
    containers: [{
      image: options.image,
      env: envOf(config),
      volumeMounts: [
        { name: "config", mountPath: "/etc/gam", readOnly: true },
        ...files.mounts,
      ],
      ...container,
    }],
    volumes: [{ name: "config", configMap: { name: configName } }, ...files.volumes],
  };
}

function probes(): Record<string, unknown> {
  const get = (path: string) => ({ httpGet: { path, port: "metrics" } });
  return {
    ports: [{ name: "metrics", containerPort: K8S_PROBE_PORT }],
    livenessProbe: { ...get("/healthz"), periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { ...get("/readyz"), periodSeconds: 5, failureThreshold: 3 },
  };
}

/**
 * The resources of a profile's container: memory request = limit = `memoryLimit` (a worker is
 * never scheduled where its limit does not fit); CPU request = its wasm threads (at least a
 * quarter core for IO-only profiles), no CPU limit (throttling a kernel mid-run only slows it).
 *
 * @example Usage
 * ```ts
 * import { profileResources } from "./k8s.ts";
 * profileResources({ queues: ["preprocess"], concurrency: 2, wasmPool: 2, memoryLimit: 4 * 1024 ** 3 });
 * // { requests: { cpu: "2", memory: "4096Mi" }, limits: { memory: "4096Mi" } }
 * ```
 */
export function profileResources(p: WorkerProfile): Record<string, Record<string, string>> {
  const memory = mebibytes(p.memoryLimit);
  return {
    requests: { cpu: p.wasmPool > 0 ? String(p.wasmPool) : "250m", memory },
    limits: { memory },
  };
}

/**
 * Renders the manifests, in deployment order.
 *
 * @param config The loaded configuration (its `execution.profiles`, `auth`).
 * @param options Image, the configuration text, color.
 * @returns One manifest per file.
 *
 * @example Usage
 * ```ts
 * import { renderK8s } from "./k8s.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const loaded = await loadConfig({ configPath, env: {} }); // the repository's example config
 * const configText = await Deno.readTextFile(configPath);
 * const files = renderK8s(loaded.config, { image: "gam:0.1.0", configText });
 * ```
 */
export function renderK8s(config: GamConfig, options: K8sOptions): K8sManifest[] {
  const suffix = options.color ? `-${options.color}` : "";
  const labels = (component: string) => ({
    "app.kubernetes.io/name": "gam",
    "app.kubernetes.io/component": component,
    ...(options.color ? { "gam/color": options.color } : {}),
  });
  const configMap: K8sManifest = {
    file: "00-config.yaml",
    step: 0,
    describe: `ConfigMap gam-config${suffix} (${K8S_CONFIG_PATH})`,
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `gam-config${suffix}`, labels: labels("config") },
      data: { "ingestion.yaml": options.configText },
    },
  };
  const migrate: K8sManifest = {
    file: "01-migrate-job.yaml",
    step: 1,
    describe: `Job gam-migrate${suffix}: gam db migrate`,
    object: {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: `gam-migrate${suffix}`, labels: labels("migrate") },
      spec: {
        backoffLimit: 2,
        template: {
          metadata: { labels: labels("migrate") },
          spec: podSpec(config, options, {
            name: "migrate",
            command: ["gam", "db", "migrate"],
          }, { restartPolicy: "Never" }),
        },
      },
    },
  };
  const workers = Object.entries(config.execution.profiles).map(([name, p]) => {
    const step: 2 | 3 = p.queues.includes("ingest") ? 2 : 3;
    const id = `gam-worker-${kebab(name)}${suffix}`;
    const component = `worker-${kebab(name)}`;
    return {
      file: `0${step}-worker-${kebab(name)}.yaml`,
      step,
      describe: `Deployment ${id}: gam worker --profile ${name} (queues ${p.queues.join(", ")}; ` +
        `${p.concurrency} job(s) at a time, ${p.wasmPool} wasm thread(s), memory ` +
        `${mebibytes(p.memoryLimit)})`,
      object: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: id, labels: labels(component) },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels(component) },
          template: {
            metadata: { labels: labels(component) },
            spec: podSpec(config, options, {
              name: "worker",
              command: ["gam", "worker", "--profile", name, "--config", K8S_CONFIG_PATH],
              resources: profileResources(p),
              ...probes(),
            }),
          },
        },
      },
    } satisfies K8sManifest;
  }).sort((a, b) => a.step - b.step || a.file.localeCompare(b.file));
  const serve: K8sManifest = {
    file: "04-orchestrator.yaml",
    step: 4,
    describe: `Deployment gam-serve${suffix}: gam serve (one replica; schedules live in the ` +
      `queue, no CronJob)`,
    object: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `gam-serve${suffix}`, labels: labels("orchestrator") },
      spec: {
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: labels("orchestrator") },
        template: {
          metadata: { labels: labels("orchestrator") },
          spec: podSpec(config, options, {
            name: "serve",
            command: [
              "gam",
              "serve",
              "--config",
              K8S_CONFIG_PATH,
              ...(options.color ? ["--color", options.color] : []),
            ],
            ...probes(),
          }),
        },
      },
    },
  };
  return [configMap, migrate, ...workers, serve];
}

/**
 * Writes the manifests into `dir` (created), plus a `kustomization.yaml` listing them in order;
 * returns the files written.
 *
 * @example Usage
 * ```ts
 * import { renderK8s, writeK8s } from "./k8s.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const loaded = await loadConfig({ configPath, env: {} }); // the repository's example config
 * const configText = await Deno.readTextFile(configPath);
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-k8s-" }); // e.g. deploy/k8s
 * try {
 *   await writeK8s(dir, renderK8s(loaded.config, { image: "gam:0.1.0", configText }));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeK8s(dir: string, manifests: K8sManifest[]): Promise<string[]> {
  const { writeFileAtomic } = await import("../fs/mod.ts");
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const m of manifests) {
    await writeFileAtomic(`${dir}/${m.file}`, stringify(m.object, { lineWidth: 0 }));
    written.push(m.file);
  }
  await writeFileAtomic(
    `${dir}/kustomization.yaml`,
    stringify({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: manifests.map((m) => m.file),
    }),
  );
  return [...written, "kustomization.yaml"];
}
