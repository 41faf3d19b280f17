import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { SettingDto } from './dto/setting.dto.js';
import { UpdateSettingDto } from './dto/update-setting.dto.js';
import { UpdateSettingsDto } from './dto/update-settings.dto.js';
import { SettingsService } from './settings.service.js';

@ApiTags('settings')
@Controller('api/settings')
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  @Endpoint({ summary: 'All backup settings with their effective values (secrets never shown)', response: [SettingDto], errors: [503] })
  list(): Promise<SettingDto[]> {
    return this.settings.list();
  }

  @Put()
  @Endpoint({
    summary: 'Change several settings at once, all or nothing',
    description:
      'Every value is checked first, as PUT /api/settings/{key} checks it. When one is invalid (or a key unknown) the answer is 400 SETTING_INVALID ' +
      'listing each invalid value in details.invalid ([{key, message}]), and nothing is stored; otherwise all are stored in one transaction. ' +
      'Answers every setting as GET /api/settings does',
    response: [SettingDto],
    errors: [400, 409, 503],
  })
  updateAll(@Body() body: UpdateSettingsDto): Promise<SettingDto[]> {
    return this.settings.updateAll(body.values);
  }

  @Get(':key')
  @ApiParam({ name: 'key', example: 'r2_backup_schedule' })
  @Endpoint({ summary: 'One setting', response: SettingDto, errors: [404, 503] })
  get(@Param('key') key: string): Promise<SettingDto> {
    return this.settings.get(key);
  }

  @Put(':key')
  @ApiParam({ name: 'key', example: 'r2_backup_enabled' })
  @Endpoint({
    summary: 'Change one setting; an invalid value is refused and changes nothing',
    description:
      "local_backup_dir and r2's endpoint, account ID, bucket and prefix are refused (400) when they would put the target where another keeps its backups, " +
      'and (409 TARGET_BUSY, naming the job) while a backup or rotation of that target runs',
    response: SettingDto,
    errors: [400, 404, 409, 503],
  })
  update(@Param('key') key: string, @Body() body: UpdateSettingDto): Promise<SettingDto> {
    return this.settings.update(key, body.value);
  }
}
