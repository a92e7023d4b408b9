/**
 * `gam deploy render k8s` and `gam deploy plan --target k8s` as real processes: the manifests
 * are parsed back with the `yaml` package and every field the deployment relies on is checked
 * (one Deployment per worker profile with its command, resources, Secret references and probes;
 * the migration Job; the orchestrator; no CronJob; no secret value anywhere).
 */
import assert from "node:assert/strict";
import { parse, parseAllDocuments, stringify } from "yaml";
import { gam, ROOT } from "../_gam_cli.ts";

const SECRET_TOKEN = "tok_live_k8s_never_written_42";
const DB_PASSWORD = "pw_never_written_in_manifests";

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

Deno.test({
  name:
    "gam deploy render k8s writes a Deployment per worker profile with secret references and probes, in the seed's order",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gam-k8s-" }));
    try {
      const c = parse(await Deno.readTextFile(`${ROOT}config/ingestion.yaml`)) as Obj;
      c.auth = {
        icgem_token: { fromEnv: "ICGEM_TOKEN" },
        portal: { fromFile: "/run/secrets/portal/token" },
      };
      c.execution = {
        profiles: {
          io: { memoryLimit: "512MiB", concurrency: 6 },
          cpu: { wasmPool: 2, concurrency: 2, memoryLimit: "3GiB" },
          bulk: { queues: ["preprocess"], concurrency: 3, wasmPool: 4, memoryLimit: "6GiB" },
        },
      };
      const configText = stringify(c);
      await Deno.writeTextFile(`${dir}/gam.yaml`, configText);
      const env = {
        ICGEM_TOKEN: SECRET_TOKEN,
        DATABASE_URL: `postgres://gam:${DB_PASSWORD}@db.internal:5432/gam`,
      };

      const plan = await gam(
        ["deploy", "plan", "--target", "k8s", "--config", `${dir}/gam.yaml`],
        env,
      );
      assert.equal(plan.code, 0, plan.stderr);
      const lines = plan.stdout.trim().split("\n");
      assert.deepEqual(lines.map((l) => l.slice(0, 23).trim()), [
        "0 configuration",
        "1 migrations",
        "2 ingestion workers",
        "3 preprocessing workers",
        "3 preprocessing workers",
        "4 orchestrator",
        "5 schedules",
      ]);
      assert.match(lines[2], /Deployment gam-worker-io: gam worker --profile io/);
      assert.match(lines[3], /Deployment gam-worker-bulk: gam worker --profile bulk/);
      assert.match(lines[4], /Deployment gam-worker-cpu: gam worker --profile cpu/);
      assert.match(lines[6], /skip: they live in the queue \(no CronJob\)/);

      const render = await gam([
        "deploy",
        "render",
        "k8s",
        "--out",
        `${dir}/k8s`,
        "--image",
        "registry.example/gam:1.2.3",
        "--config",
        `${dir}/gam.yaml`,
      ], env);
      assert.equal(render.code, 0, render.stderr);
      const files = [...Deno.readDirSync(`${dir}/k8s`)].map((e) => e.name).sort();
      assert.deepEqual(files, [
        "00-config.yaml",
        "01-migrate-job.yaml",
        "02-worker-io.yaml",
        "03-worker-bulk.yaml",
        "03-worker-cpu.yaml",
        "04-orchestrator.yaml",
        "kustomization.yaml",
      ]);
      const texts = Object.fromEntries(
        files.map((f) => [f, Deno.readTextFileSync(`${dir}/k8s/${f}`)]),
      );
      for (const [f, t] of Object.entries(texts)) {
        assert.ok(!t.includes(SECRET_TOKEN), `${f} holds the token`);
        assert.ok(!t.includes(DB_PASSWORD), `${f} holds the database password`);
        assert.equal(parseAllDocuments(t).length, 1, `${f}: one document`);
      }
      const docs = Object.fromEntries(files.map((f) => [f, parse(texts[f]) as Obj]));
      assert.deepEqual(docs["kustomization.yaml"].resources, files.slice(0, -1));
      assert.ok(Object.values(docs).every((d) => d.kind !== "CronJob"), "no CronJob");

      const cm = docs["00-config.yaml"];
      assert.equal(cm.kind, "ConfigMap");
      assert.equal(cm.metadata.name, "gam-config");
      assert.equal(cm.data["ingestion.yaml"], configText);

      // What every container shares: image, secret references, config mount, listen address.
      const checkPod = (spec: Obj, where: string) => {
        const [ctr] = spec.containers;
        assert.equal(ctr.image, "registry.example/gam:1.2.3", where);
        const env = Object.fromEntries(ctr.env.map((e: Obj) => [e.name, e]));
        assert.deepEqual(env.DATABASE_URL.valueFrom, {
          secretKeyRef: { name: "gam-database", key: "url" },
        });
        assert.equal(env.DATABASE_URL.value, undefined);
        assert.deepEqual(env.ICGEM_TOKEN.valueFrom, {
          secretKeyRef: { name: "gam-auth", key: "ICGEM_TOKEN" },
        });
        assert.equal(env.ICGEM_TOKEN.value, undefined);
        assert.equal(env.GAM__SERVICE__LISTEN.value, "0.0.0.0:9464");
        for (const e of ctr.env) {
          assert.ok(e.value === undefined || e.name === "GAM__SERVICE__LISTEN", e.name);
        }
        const mounts = Object.fromEntries(ctr.volumeMounts.map((m: Obj) => [m.name, m]));
        assert.deepEqual(mounts.config, { name: "config", mountPath: "/etc/gam", readOnly: true });
        assert.deepEqual(mounts["auth-portal"], {
          name: "auth-portal",
          mountPath: "/run/secrets/portal",
          readOnly: true,
        });
        const vols = Object.fromEntries(spec.volumes.map((v: Obj) => [v.name, v]));
        assert.deepEqual(vols.config.configMap, { name: "gam-config" });
        assert.deepEqual(vols["auth-portal"].secret, {
          secretName: "gam-auth-portal",
          items: [{ key: "secret", path: "token" }],
        });
        return ctr;
      };

      const job = docs["01-migrate-job.yaml"];
      assert.equal(job.kind, "Job");
      assert.equal(job.apiVersion, "batch/v1");
      assert.equal(job.spec.template.spec.restartPolicy, "Never");
      assert.deepEqual(
        checkPod(job.spec.template.spec, "job").command,
        ["gam", "db", "migrate"],
      );

      const expected: Record<string, { file: string; cpu: string; memory: string }> = {
        io: { file: "02-worker-io.yaml", cpu: "250m", memory: "512Mi" },
        bulk: { file: "03-worker-bulk.yaml", cpu: "4", memory: "6144Mi" },
        cpu: { file: "03-worker-cpu.yaml", cpu: "2", memory: "3072Mi" },
      };
      for (const [profile, want] of Object.entries(expected)) {
        const d = docs[want.file];
        assert.equal(d.kind, "Deployment");
        assert.equal(d.apiVersion, "apps/v1");
        assert.equal(d.metadata.name, `gam-worker-${profile}`);
        assert.equal(d.spec.replicas, 1);
        assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels);
        assert.equal(
          d.spec.template.metadata.labels["app.kubernetes.io/component"],
          `worker-${profile}`,
        );
        const ctr = checkPod(d.spec.template.spec, profile);
        assert.deepEqual(ctr.command, [
          "gam",
          "worker",
          "--profile",
          profile,
          "--config",
          "/etc/gam/ingestion.yaml",
        ]);
        assert.deepEqual(ctr.resources, {
          requests: { cpu: want.cpu, memory: want.memory },
          limits: { memory: want.memory },
        });
        assert.deepEqual(ctr.ports, [{ name: "metrics", containerPort: 9464 }]);
        assert.deepEqual(ctr.livenessProbe.httpGet, { path: "/healthz", port: "metrics" });
        assert.deepEqual(ctr.readinessProbe.httpGet, { path: "/readyz", port: "metrics" });
      }

      const serve = docs["04-orchestrator.yaml"];
      assert.equal(serve.kind, "Deployment");
      assert.equal(serve.spec.replicas, 1);
      assert.equal(serve.spec.strategy.type, "Recreate");
      const sc = checkPod(serve.spec.template.spec, "serve");
      assert.deepEqual(sc.command, ["gam", "serve", "--config", "/etc/gam/ingestion.yaml"]);
      assert.deepEqual(sc.readinessProbe.httpGet, { path: "/readyz", port: "metrics" });

      // A color gets its own names and the color label.
      const green = await gam([
        "deploy",
        "render",
        "k8s",
        "--out",
        `${dir}/k8s-green`,
        "--color",
        "green",
        "--config",
        `${dir}/gam.yaml`,
      ], env);
      assert.equal(green.code, 0, green.stderr);
      const gw = parse(Deno.readTextFileSync(`${dir}/k8s-green/03-worker-cpu.yaml`)) as Obj;
      assert.equal(gw.metadata.name, "gam-worker-cpu-green");
      assert.equal(gw.spec.template.metadata.labels["gam/color"], "green");
      assert.equal(gw.spec.template.spec.volumes[0].configMap.name, "gam-config-green");
      const gs = parse(Deno.readTextFileSync(`${dir}/k8s-green/04-orchestrator.yaml`)) as Obj;
      assert.deepEqual(gs.spec.template.spec.containers[0].command.slice(-2), ["--color", "green"]);

      const noOut = await gam(["deploy", "render", "k8s", "--config", `${dir}/gam.yaml`], env);
      assert.equal(noOut.code, 2);
      assert.match(noOut.stderr, /needs --out DIR/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
