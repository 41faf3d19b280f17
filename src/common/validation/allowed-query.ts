import { SetMetadata, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { DECORATORS } from '@nestjs/swagger';

export const ALLOWED_QUERY = 'sentinel:allowed-query';

/**
 * The query parameters of an endpoint: the documented properties of its query DTO, so the list that
 * Swagger shows and the list that is enforced cannot drift apart. Without it an endpoint takes none.
 */
export function AllowedQuery(dto: Type<unknown>): MethodDecorator {
  return SetMetadata(ALLOWED_QUERY, documentedProperties(dto));
}

function documentedProperties(dto: Type<unknown>): string[] {
  const properties = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype) as string[] | undefined) ?? [];
  return properties.map((p) => p.replace(/^:/, ''));
}

/**
 * The query parameters a handler takes when it has no @AllowedQuery: those of the DTO of its
 * `@Query() query: SomeDto` parameter, so an endpoint that declares a query DTO cannot be left
 * refusing its own parameters because the decorator was forgotten. None when it has no such parameter.
 */
export function inferredAllowedQuery(controller: Type<unknown>, handler: { name: string }): string[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {}) as Record<string, { index: number; data?: unknown }>;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, handler.name) ?? []) as Type<unknown>[];
  for (const [key, arg] of Object.entries(args)) {
    if (key.split(':')[0] !== String(RouteParamtypes.QUERY)) continue;
    if (typeof arg.data === 'string') return [arg.data];
    const dto = types[arg.index];
    if (dto && dto !== Object) return documentedProperties(dto);
  }
  return [];
}
