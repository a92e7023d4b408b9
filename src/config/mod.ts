/**
 * GAM configuration: `config/ingestion.yaml`, profiles, environment and flag overrides,
 * validated by one strict schema; secrets by reference; hot reload for services.
 *
 * - {@linkcode loadConfig}: the effective configuration (precedence: built-in defaults <
 *   base file < `config/profiles/<name>.yaml` < `GAM__...` environment < CLI flags), or a
 *   {@linkcode ConfigError} listing every issue as `file:line:column path: message`.
 * - {@linkcode ConfigSchema} / {@linkcode GamConfig}: the single source of the config type.
 * - {@linkcode resolveSecret} / {@linkcode resolveDatabaseUrl}: read secrets at the moment of
 *   use and register them for redaction.
 * - {@linkcode ConfigService}: watch, validate and atomically swap for long-running processes.
 *
 * @example Load the configuration with a profile and flags
 * ```ts
 * import { cliOverrides, loadConfig } from "./mod.ts";
 * const { config, hash, sources } = await loadConfig({
 *   profile: "dev",
 *   overrides: cliOverrides({ bbox: "10,45,10.5,45.5", workers: "2" }),
 * });
 * console.log(config.modalities.gravity.retry.maxAttempts, hash, sources);
 * ```
 *
 * @module
 */
export { ConfigError, type ConfigIssue, formatIssue } from "./config_error.ts";
export {
  type AuthProfile,
  CachePolicySchema,
  CONFIG_VERSION,
  ConfigSchema,
  type ExecutionConfig,
  type GamConfig,
  type GamConfigInput,
  type ModalityConfig,
  NAME_PATTERN,
  type PipelineStepConfig,
  PluginLimitsSchema,
  QUEUE_NAMES,
  type QueueName,
  REQUIRED_MODALITIES,
  type RetentionConfig,
  RetentionSchema,
  shippedProfiles,
  STORAGE_CLASSES,
  type StorageConfig,
  StorageSchema,
  TOP_LEVEL_KEYS,
  type WorkerProfile,
} from "./schema.ts";
export {
  configHash,
  DEFAULT_CONFIG_PATH,
  listProfiles,
  loadConfig,
  type LoadConfigOptions,
  type LoadedConfig,
} from "./loader.ts";
export {
  type CliFlags,
  cliOverrides,
  type ConfigOverride,
  ENV_PREFIX,
  envOverrides,
} from "./overrides.ts";
export { resolveDatabaseUrl, resolveSecret, SecretError, type SecretOptions } from "./secrets.ts";
export { ConfigService, type ConfigServiceOptions, type ReloadResult } from "./config_service.ts";
export { parseByteSize, parseDuration } from "./quantities.ts";
export { cronProblem } from "./cron.ts";
export { endpointProblem, isLoopbackHost } from "./endpoint.ts";
