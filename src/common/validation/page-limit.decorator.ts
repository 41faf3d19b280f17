import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The `limit` query parameter of a list: a whole number from 1 to 1000, 100 when absent. */
export function PageLimit(): PropertyDecorator {
  const message = 'limit must be a whole number from 1 to 1000';
  return applyDecorators(
    ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message }),
    Min(1, { message }),
    Max(1000, { message }),
  );
}
