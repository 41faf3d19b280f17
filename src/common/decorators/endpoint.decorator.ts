import { applyDecorators, HttpCode, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorResponseDto } from '../errors/error-response.dto.js';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; the message says what is allowed',
  401: 'Missing or wrong API token',
  403: 'Refused; the message says why and what to do',
  404: 'Not found',
  409: 'Conflicts with the current state (for example, a job already running)',
  422: 'The archive failed validation; the message names the check and the file',
  502: 'The storage target failed or refused the request',
  503: 'The databases are not available yet',
  504: 'The storage operation timed out',
  507: 'Not enough free disk space',
};

export interface EndpointOptions {
  summary: string;
  description?: string;
  /** The success status (200 unless given). */
  status?: number;
  /** The success body's type; use `[Type]` for an array. Omit for an empty body. */
  response?: Type<unknown> | [Type<unknown>];
  /** Instead of `response`: the success body is one of these types (an endpoint whose query changes what it answers). */
  responseOneOf?: Type<unknown>[];
  /** A description of the success response when it is not JSON (a download). */
  responseDescription?: string;
  /** Error statuses this endpoint can answer, besides 401. */
  errors?: number[];
  /** Needs no API token (@Public()): documented without bearer auth and without 401. */
  public?: true;
}

/** One decorator per endpoint: summary, success type and error statuses in the OpenAPI document. */
export function Endpoint(options: EndpointOptions): MethodDecorator {
  const status = options.status ?? 200;
  const [type, isArray] = Array.isArray(options.response) ? [options.response[0], true] : [options.response, false];
  const decorators = [
    ApiOperation({ summary: options.summary, description: options.description }),
    ...(options.public ? [] : [ApiBearerAuth()]),
    HttpCode(status),
    ...(options.responseOneOf
      ? [
          ApiExtraModels(...options.responseOneOf),
          ApiResponse({
            status,
            description: options.responseDescription ?? 'Success',
            schema: { oneOf: options.responseOneOf.map((one) => ({ $ref: getSchemaPath(one) })) },
          }),
        ]
      : [ApiResponse({ status, description: options.responseDescription ?? 'Success', type, isArray })]),
    ...[...new Set([...(options.errors ?? []), ...(options.public ? [] : [401])])]
      .sort()
      .map((code) => ApiResponse({ status: code, description: ERROR_DESCRIPTIONS[code] ?? 'Error', type: ErrorResponseDto })),
  ];
  return applyDecorators(...decorators);
}
