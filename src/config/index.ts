// The configuration area: the settings table, its loader and the rendered example settings file.
export { SETTINGS, type SettingSpec, type SettingType, type SettingSource } from './settings';
export {
  loadConfig,
  runMode,
  isDevelopmentStorage,
  ConfigError,
  type Config,
  type ConfigProblem,
  type StorageConfig,
  type RunMode,
  type Backend,
  type GraphCloud,
  type Env,
} from './load';
export { parseSetting, isNcrontab, type SettingValue } from './parse';
export { renderLocalSettingsExample, CORE_TOOLS_VALUES } from './example';
