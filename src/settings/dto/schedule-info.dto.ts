import { ApiProperty } from '@nestjs/swagger';

/** A schedule setting's value in words, with its coming runs. */
export class ScheduleInfoDto {
  @ApiProperty({ example: 'every day at 03:00 Europe/Berlin', description: 'The schedule in words, with the time zone when it names wall-clock times' })
  description: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'The service time zone (TZ) the schedule is in' })
  time_zone: string;

  @ApiProperty({
    type: [String],
    example: ['2026-01-11T02:00:00.000Z', '2026-01-12T02:00:00.000Z'],
    description: 'The next 5 runs (whether or not the target is enabled), with the daylight-saving rules applied',
  })
  next_runs: string[];
}
