import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';
import { ApiValidationPipe } from './api-validation.pipe.js';

class Window {
  @IsString()
  from: string;

  @IsOptional()
  @IsString()
  until?: string;
}

class Plan {
  @IsInt({ message: 'days must be a whole number' })
  days: number;

  @ValidateNested()
  @Type(() => Window)
  window: Window;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => Window)
  extra?: Window[];
}

async function refusal(body: unknown): Promise<unknown> {
  return new ApiValidationPipe().transform(body, { type: 'body', metatype: Plan }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('ApiValidationPipe', () => {
  it('passes a body of declared fields through, as its DTO', async () => {
    const plan = await new ApiValidationPipe().transform({ days: 3, window: { from: 'a' } }, { type: 'body', metatype: Plan });
    expect(plan).toBeInstanceOf(Plan);
    expect(plan).toEqual({ days: 3, window: { from: 'a' } });
  });

  it('refuses an unknown field of a nested object, naming its path and what that object takes', async () => {
    const error = await refusal({ days: 3, window: { from: 'a', untill: 'b' } });
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: ErrorCode.InvalidInput,
      message: 'Unknown field "window.untill": "window" takes from, until. Remove it or correct the spelling',
      details: { unknown: ['window.untill'], allowed: ['from', 'until'] },
    });
  });

  it('names the element of an array, and unknown fields at two depths with the other errors', async () => {
    const error = (await refusal({ days: 'x', dayz: 1, window: { from: 'a' }, extra: [{ from: 'b' }, { from: 'c', to: 'd' }] })) as DomainError;
    expect(error.message).toBe(
      'Unknown field "dayz": the body takes days, window, extra. Remove it or correct the spelling; ' +
        'Unknown field "extra[1].to": "extra[1]" takes from, until. Remove it or correct the spelling; days must be a whole number',
    );
    expect(error.details).toEqual({ unknown: ['dayz', 'extra[1].to'] });
  });

  it('says an array is not an object rather than calling its indexes unknown fields', async () => {
    const error = (await refusal([{ days: 1 }])) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.message).toMatch(/^The body must be a JSON object of fields, not an array(;|$)/);
    expect(error.message).not.toMatch(/"0"/);
  });

  it('leaves every other refusal in the words of the DTO', async () => {
    const error = await refusal({ days: 'x', window: { from: 'a' } });
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toMatchObject({ message: ['days must be a whole number'] });
  });
});
