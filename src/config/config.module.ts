import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { type Environment, parseEnvironment } from './environment.js';

/**
 * Parses the environment once at boot. The raw variables are passed in (not read from
 * process.env here) so that tests can run several differently configured apps in one process.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(raw: Record<string, string | undefined>): DynamicModule {
    const environment = parseEnvironment(raw);
    return {
      module: ConfigModule,
      imports: [
        NestConfigModule.forRoot({
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          load: [() => ({ environment })],
        }),
      ],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (config: ConfigService): AppConfig => ({ env: config.getOrThrow<Environment>('environment') }),
        },
      ],
      exports: [AppConfig],
    };
  }
}
