import { Body, Controller, Delete, Get, Param, Put, Req } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { ExistingTargetPipe } from '../targets/existing-target.pipe.js';
import { CostPricesDto, CostPricesInputDto, CostsDto } from './dto/costs.dto.js';
import { toCostPricesDto, toCostsDto } from './dto/costs.mapper.js';
import { CostsService } from './costs.service.js';
import { parsePriceInput } from './price-input.js';

const TARGET_PARAM = ApiParam({ name: 'target', example: 'r2', description: 'An S3 target: r2 or one added through /api/targets' });

@ApiTags('monitoring')
@Controller('api/costs')
export class CostsController {
  constructor(private readonly costs: CostsService) {}

  @Get()
  @Endpoint({
    summary: 'Cost and capacity per target: stored now, projected under the retention, growth, estimated monthly cost, free disk space',
    description:
      'Lists every target (an S3 LIST and HEADs: counted like any request). For S3 targets the monthly cost is the bytes stored at the price ' +
      'per GB-month plus the Class A and Class B requests the service sent in the last 30 days at the prices per million (the spec’s R2 prices ' +
      'unless set with PUT /api/costs/prices/{target}); no free tier is subtracted. README "Cost and capacity" says what is not counted',
    response: CostsDto,
    errors: [503],
  })
  async get(): Promise<CostsDto> {
    return toCostsDto(await this.costs.report());
  }

  @Put('prices/:target')
  @TARGET_PARAM
  @Endpoint({
    summary: "Set an S3 target's prices (US dollars) for its cost estimate",
    description:
      'All three fields, each from 0 to 1000. A wrong or missing field answers 400 naming it (details.field) and changes nothing; a folder target answers 400',
    response: CostPricesDto,
    errors: [400, 404],
  })
  async setPrices(@Param('target', ExistingTargetPipe) target: string, @Body() _body: CostPricesInputDto, @Req() request: Request): Promise<CostPricesDto> {
    return toCostPricesDto(await this.costs.setPrices(target, parsePriceInput(request.body)));
  }

  @Delete('prices/:target')
  @TARGET_PARAM
  @Endpoint({ summary: "Return an S3 target's prices to the spec's R2 prices", response: CostPricesDto, errors: [400, 404] })
  async resetPrices(@Param('target', ExistingTargetPipe) target: string): Promise<CostPricesDto> {
    return toCostPricesDto(await this.costs.resetPrices(target));
  }
}
