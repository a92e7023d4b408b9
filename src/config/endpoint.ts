/**
 * The rule for an object-storage endpoint: `https:` anywhere; plain `http:` only on a loopback
 * host (`127.0.0.0/8`, `::1`, `localhost`) or when the configuration says `allowPlainHttp: true`.
 * Used by the config schema and by {@linkcode S3ObjectStore}, so both refuse the same URLs.
 *
 * @module
 */

/**
 * Whether `host` (a URL's `hostname`) names this machine.
 *
 * @param host Host name or address, IPv6 in brackets or not.
 * @returns `true` for `localhost`, `127.x.x.x` and `::1`.
 *
 * @example Usage
 * ```ts
 * import { isLoopbackHost } from "./endpoint.ts";
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("s3.example.org"); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * What is wrong with an endpoint URL, or `undefined` when it may be used.
 *
 * @param endpoint The URL as written in the configuration.
 * @param allowPlainHttp Whether plain `http:` is allowed for a non-loopback host.
 * @returns A phrase saying what was expected, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { endpointProblem } from "./endpoint.ts";
 * endpointProblem("http://127.0.0.1:7070", false); // undefined
 * endpointProblem("http://s3.example.org", false); // "plain http: ... (TLS is required ...)"
 * ```
 */
export function endpointProblem(endpoint: string, allowPlainHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `an http(s) URL such as "https://s3.example.org" (received "${endpoint}")`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `an http(s) URL such as "https://s3.example.org" (received "${endpoint}")`;
  }
  if (url.username !== "" || url.password !== "") {
    return "a URL without credentials (name auth profiles in storage.credentials instead)";
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && !allowPlainHttp) {
    return `an https: URL: plain http: to "${url.host}" would send data and signed requests ` +
      "unencrypted (TLS is required for non-loopback endpoints; set storage.allowPlainHttp: " +
      "true to accept the risk)";
  }
  return undefined;
}
