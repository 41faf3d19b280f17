import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'sentinel:public';

/** Marks a route that needs no API token (the health check). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
