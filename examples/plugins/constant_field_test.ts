import assert from "node:assert/strict";
import { IngestionService, SandboxedPlugin } from "../../src/ingestion/mod.ts";

Deno.test("the example plugin loads in its sandbox and returns a valid grid", async () => {
  const plugin = await SandboxedPlugin.load({
    plugin: "constant-field",
    module: new URL("./constant_field.ts", import.meta.url).href,
    modality: "gravity",
  });
  const service = new IngestionService({ providers: { gravity: plugin } });
  const { data } = await service.fetch("gravity", [10, 45, 10.5, 45.5], {
    params: { spacing: 0.1, value: 2.5 },
  });
  await service.close();
  assert.equal(data.kind, "grid");
  if (data.kind === "grid") {
    assert.equal(data.grid.lon.length, 6);
    assert.ok(data.grid.values.every((v) => v === 2.5));
  }
});
