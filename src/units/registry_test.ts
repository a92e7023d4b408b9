import assert from "node:assert/strict";
import {
  canonicalUnit,
  isKnownUnit,
  knownUnits,
  normalizeUnit,
  resolveUnit,
  UNIT_MODALITIES,
  UnitError,
} from "./mod.ts";
import { unitSchema } from "./schema.ts";

Deno.test("knownUnits() lists each modality's units with the canonical one first", () => {
  assert.deepEqual(knownUnits("gravity"), ["mGal", "µGal", "m/s²"]);
  assert.deepEqual(knownUnits("gravity_gradient"), ["E", "s⁻²"]);
  assert.deepEqual(knownUnits("magnetic"), ["nT", "gamma", "µT"]);
  for (const m of UNIT_MODALITIES) assert.equal(canonicalUnit(m), knownUnits(m)[0]);
});

Deno.test("knownUnits() and canonicalUnit() reject an unknown modality", () => {
  assert.throws(() => knownUnits("seismic"), /Unknown modality "seismic"; expected one of gravity/);
  assert.throws(() => canonicalUnit("seismic"), UnitError);
});

Deno.test("isKnownUnit() accepts aliases per modality and never throws", () => {
  assert.equal(isKnownUnit("gravity", "uGal"), true);
  assert.equal(isKnownUnit("gravity", "µGal"), true);
  assert.equal(isKnownUnit("gravity", "E"), false);
  assert.equal(isKnownUnit("gravity_gradient", "Eötvös"), true);
  assert.equal(isKnownUnit("magnetic", "gamma"), true);
  assert.equal(isKnownUnit("magnetic", "uT"), true);
  assert.equal(isKnownUnit("magnetic", "mGal"), false);
  assert.equal(isKnownUnit("seismic", "mGal"), false);
  // deno-lint-ignore no-explicit-any
  assert.equal(isKnownUnit("gravity", 5 as any), false);
});

Deno.test("normalizeUnit() and resolveUnit() give canonical spellings", () => {
  assert.equal(normalizeUnit("mgal"), "mGal");
  assert.equal(normalizeUnit("uGal", { modality: "gravity" }), "µGal");
  assert.equal(normalizeUnit("Eotvos"), "E");
  assert.equal(normalizeUnit("uT"), "µT");
  assert.equal(resolveUnit("m/s^2").exponent, 5);
  assert.equal(resolveUnit("gamma").modality, "magnetic");
});

Deno.test("unitSchema() parses to the canonical symbol and fails with the UnitError message", () => {
  const s = unitSchema("gravity");
  assert.equal(s.parse("uGal"), "µGal");
  const r = s.safeParse("nT");
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0].message, /Unknown unit "nT" for modality "gravity"/);
  assert.equal(unitSchema("magnetic").safeParse(3).success, false);
  assert.throws(() => unitSchema("seismic"), UnitError);
});
