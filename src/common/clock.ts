import { Injectable } from '@nestjs/common';

/** The time source, injectable so rotation and schedules can be tested at any date. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
