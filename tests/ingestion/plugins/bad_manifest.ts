/** Broken: a manifest with an invalid version and an incompatible API version. */
export const manifest = {
  id: "bad-manifest",
  version: "one",
  apiVersion: "1.0.0",
  modalities: ["gravity"],
  description: "x",
  licence: "x",
  citation: "x",
  permissions: { net: [], read: [] },
};
export function createPlugin() {
  return { fetch: () => Promise.reject(new Error("unreachable")) };
}
