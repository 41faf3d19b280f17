import { ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, type ValidationError } from 'class-validator';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-code.js';

/** class-validator's constraint name for a property its class does not declare (ValidationTypes.WHITELIST). */
const UNKNOWN_FIELD_CONSTRAINT = 'whitelistValidation';
/** Unknown fields named in one answer at most: a 100 KB body of made-up keys gets a short answer, not all of them. */
const MAX_NAMED = 5;
/** A field name is quoted up to this many characters. */
const MAX_NAME_LENGTH = 40;
/** A field named like a recovery key is a pasted secret: it is never repeated. */
const SECRET_KEY = /AGE-SECRET-KEY-1/i;

/** One object of the body with the fields it does not take. */
interface UnknownFields {
  /** Where the object is ('' for the body itself, `schedule`, `items[0]` for nested ones). */
  at: string;
  names: string[];
  /** The fields its class declares, in declaration order. */
  accepted: string[];
  /** An array was sent where an object of fields is expected. */
  array?: boolean;
}

/**
 * The one ValidationPipe of the API (app.factory.ts): transforms bodies and queries into their DTOs and
 * refuses any field a DTO does not declare, at any depth (`@ValidateNested` objects too), so a typo such as
 * `"write-only": true` is an error rather than silently dropped. The DTO is the only list of what a body
 * takes: the answer names the unknown fields and the accepted ones from the DTO's own validation rules.
 * Every other validation message is the DTO's own, as Nest's pipe words it.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    // `target`: each error carries the object it was found in, whose class says what fields that object takes
    // (the errors are never sent as they are, so the object is not repeated to the client).
    super({ transform: true, whitelist: true, forbidNonWhitelisted: true, validationError: { target: true } });
  }

  // Called from ValidationPipe's constructor: uses nothing of this subclass but its methods.
  override createExceptionFactory(): (errors?: ValidationError[]) => unknown {
    const standard = super.createExceptionFactory();
    return (errors: ValidationError[] = []) => {
      const unknown = unknownFields(errors);
      if (unknown.length === 0) return standard(errors);
      const others = this.flattenValidationErrors(withoutUnknownFields(errors));
      const named = unknown.flatMap((group) => group.names.map((name) => fieldPath(group.at, name)));
      const message = [...unknown.map(describe), ...others].join('; ');
      return new DomainError(ErrorCode.InvalidInput, message, {
        unknown: named.slice(0, MAX_NAMED).map(shown),
        ...(unknown.length === 1 && !unknown[0].array ? { allowed: unknown[0].accepted } : {}),
      });
    };
  }
}

function unknownFields(errors: ValidationError[]): UnknownFields[] {
  const found = new Map<string, UnknownFields>();
  const visit = (list: ValidationError[], path: string): void => {
    for (const error of list) {
      if (error.constraints?.[UNKNOWN_FIELD_CONSTRAINT] !== undefined) {
        // An array where the DTO expects an object: its indexes are not misspelt fields.
        if (Array.isArray(error.target)) {
          found.set(path, { at: path, names: [], accepted: [], array: true });
          continue;
        }
        let group = found.get(path);
        if (!group) {
          group = { at: path, names: [], accepted: acceptedFields(error.target) };
          found.set(path, group);
        }
        group.names.push(error.property);
      }
      if (error.children?.length) visit(error.children, fieldPath(path, error.property));
    }
  };
  visit(errors, '');
  return [...found.values()];
}

/** The properties class-validator keeps for the class of `target`: exactly those `whitelist` lets through. */
function acceptedFields(target: object | undefined): string[] {
  if (!target) return [];
  const metadata = getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', false, false);
  return [...new Set(metadata.map((entry) => entry.propertyName))];
}

function withoutUnknownFields(errors: ValidationError[]): ValidationError[] {
  return errors
    .map((error) => {
      const constraints = Object.fromEntries(Object.entries(error.constraints ?? {}).filter(([name]) => name !== UNKNOWN_FIELD_CONSTRAINT));
      return { ...error, constraints, children: withoutUnknownFields(error.children ?? []) };
    })
    .filter((error) => Object.keys(error.constraints).length > 0 || error.children.length > 0);
}

function fieldPath(at: string, property: string): string {
  if (!at) return property;
  return /^\d+$/.test(property) ? `${at}[${property}]` : `${at}.${property}`;
}

/** `Unknown field "write-only": the body takes enabled, write_only, ...`. */
function describe(group: UnknownFields): string {
  if (group.array) return `${group.at ? JSON.stringify(group.at) : 'The body'} must be a JSON object of fields, not an array`;
  const names = group.names.slice(0, MAX_NAMED).map((name) => JSON.stringify(shown(fieldPath(group.at, name))));
  const more = group.names.length > MAX_NAMED ? ` and ${group.names.length - MAX_NAMED} more` : '';
  const plural = group.names.length > 1;
  const where = group.at ? JSON.stringify(group.at) : 'the body';
  const takes = group.accepted.length ? `${where} takes ${group.accepted.join(', ')}` : `${where} takes no fields`;
  return `Unknown field${plural ? 's' : ''} ${names.join(', ')}${more}: ${takes}. Remove ${plural ? 'them' : 'it'} or correct the spelling`;
}

function shown(name: string): string {
  if (SECRET_KEY.test(name)) return '(a field named with a recovery key, not repeated)';
  return name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH - 3)}...` : name;
}
