/**
 * Test doubles shared by the ingestion tests (internal).
 *
 * @module
 */
import type { Bbox, RawData } from "../../src/contracts/mod.ts";
import type { FetchRequest } from "../../src/ingestion/mod.ts";
import type { SourceProvider } from "../../src/ingestion/mod.ts";
import type { MetricsLike } from "../../src/ingestion/mod.ts";

/** A point survey for a request (one point at the bbox centre). */
export function pointData(req: { modality: string; bbox: Bbox }, plugin = "double"): RawData {
  const [w, s, e, n] = req.bbox;
  return {
    source: { plugin, version: "1.0.0" },
    modality: req.modality,
    kind: "points",
    bbox: req.bbox,
    units: req.modality === "magnetic" ? "nT" : "mGal",
    crs: "EPSG:4326",
    metadata: { retrievedAt: "2026-01-01T00:00:00Z", licence: "CC0-1.0", citation: "test" },
    points: {
      lon: new Float64Array([(w + e) / 2]),
      lat: new Float64Array([(s + n) / 2]),
      value: new Float64Array([1]),
    },
  };
}

/** A provider whose fetch runs `impl` and counts calls. */
export function doubleProvider(
  impl: (req: FetchRequest, call: number) => Promise<RawData>,
  id = "double",
): SourceProvider & { calls: number } {
  const p = {
    id,
    version: "1.0.0",
    calls: 0,
    fetch(req: FetchRequest) {
      p.calls++;
      return impl(req, p.calls);
    },
  };
  return p;
}

/** A metrics registry that records every update as `name{labels}` → value. */
export class RecordingMetrics implements MetricsLike {
  values = new Map<string, number>();
  #key(name: string, labels?: Record<string, string>) {
    const l = labels ? Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(",") : "";
    return `${name}{${l}}`;
  }
  get(name: string, labels?: Record<string, string>): number {
    return this.values.get(this.#key(name, labels)) ?? 0;
  }
  counter(def: { name: string }) {
    return {
      inc: (labels: Record<string, string>, v = 1) => {
        const k = this.#key(def.name, labels);
        this.values.set(k, (this.values.get(k) ?? 0) + v);
      },
    };
  }
  gauge(def: { name: string }) {
    return {
      set: (labels: Record<string, string>, v: number) =>
        this.values.set(this.#key(def.name, labels), v),
    };
  }
  histogram(def: { name: string }) {
    return {
      observe: (labels: Record<string, string>) => {
        const k = this.#key(`${def.name}_count`, labels);
        this.values.set(k, (this.values.get(k) ?? 0) + 1);
      },
    };
  }
}
