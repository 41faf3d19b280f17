import type { Environment } from './environment.js';

/**
 * The validated environment as an injectable class. It is both the type and the DI token,
 * so a class that needs configuration asks for `AppConfig` and gets the parsed values.
 */
export abstract class AppConfig {
  abstract readonly env: Environment;
}
