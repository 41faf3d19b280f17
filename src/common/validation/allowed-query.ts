import { SetMetadata, type Type } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

export const ALLOWED_QUERY = 'sentinel:allowed-query';

/**
 * The query parameters of an endpoint: the documented properties of its query DTO, so the list that
 * Swagger shows and the list that is enforced cannot drift apart. Without it an endpoint takes none.
 */
export function AllowedQuery(dto: Type<unknown>): MethodDecorator {
  const properties = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype) as string[] | undefined) ?? [];
  return SetMetadata(
    ALLOWED_QUERY,
    properties.map((p) => p.replace(/^:/, '')),
  );
}
