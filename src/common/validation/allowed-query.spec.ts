import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Delete, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ALLOWED_QUERY, AllowedQuery, inferredAllowedQuery } from './allowed-query.js';

class PagingQuery {
  @ApiPropertyOptional()
  limit?: number;

  @ApiPropertyOptional()
  before?: string;
}

class ConfirmQuery {
  @ApiPropertyOptional()
  confirm?: string;
}

@Controller('x')
class ExampleController {
  @Get()
  @AllowedQuery(PagingQuery)
  declared(@Query() query: PagingQuery): unknown {
    return query;
  }

  @Delete()
  forgotten(@Query() query: ConfirmQuery): unknown {
    return query;
  }

  @Get('one')
  single(@Query('q') q: string): unknown {
    return q;
  }

  @Get('none')
  none(): unknown {
    return undefined;
  }
}

describe('allowed query parameters', () => {
  it('are the documented properties of the DTO named by @AllowedQuery', () => {
    expect(Reflect.getMetadata(ALLOWED_QUERY, ExampleController.prototype.declared)).toEqual(['limit', 'before']);
  });

  it("are inferred from the handler's @Query() DTO when the decorator is missing", () => {
    expect(inferredAllowedQuery(ExampleController, ExampleController.prototype.forgotten)).toEqual(['confirm']);
    expect(inferredAllowedQuery(ExampleController, ExampleController.prototype.single)).toEqual(['q']);
  });

  it('are none for a handler without query parameters', () => {
    expect(inferredAllowedQuery(ExampleController, ExampleController.prototype.none)).toEqual([]);
  });
});
