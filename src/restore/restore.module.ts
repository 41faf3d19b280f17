import { Module } from '@nestjs/common';
import { RestoreOnStartHook } from './restore-on-start.hook.js';

@Module({ providers: [RestoreOnStartHook] })
export class RestoreModule {}
