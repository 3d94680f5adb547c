/**
 * Checks real HTTP responses against the OpenAPI document: the route and status must be
 * documented, and a JSON body must validate against the documented schema (ajv, JSON Schema
 * 2020-12, which is what OpenAPI 3.1 schemas are).
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { routeMatcher, type OpenApiDocument } from '../../src/api/openapi/document';

export interface Documented {
  template: string;
  status: number;
}

const escape = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export function responseValidator(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(document as unknown as object, 'openapi.json');
  const match = routeMatcher(Object.keys(document.paths));

  /** Throws with the reason when the response is undocumented or does not match its schema. */
  return function check(
    method: string,
    url: string,
    response: { status: number; body: unknown; headers: Headers },
  ): Documented {
    const path = new URL(url, 'http://x').pathname;
    const template = match(path);
    if (!template) throw new Error(`${method} ${path} is not in the OpenAPI document`);
    const operation = document.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${template} is not in the OpenAPI document`);
    const responses = operation.responses as Record<string, { content?: Record<string, unknown> }>;
    const documented = responses[String(response.status)];
    if (!documented) {
      throw new Error(
        `${method} ${template} answered ${response.status}, documented: ${Object.keys(responses).join(', ')}`,
      );
    }
    if (!response.headers.get('x-request-id')) throw new Error(`${method} ${template}: no X-Request-Id`);
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!documented.content) {
      if (response.body) throw new Error(`${method} ${template} ${response.status}: undocumented body`);
      return { template, status: response.status };
    }
    if (!documented.content[contentType]) {
      throw new Error(`${method} ${template} ${response.status}: undocumented content type ${contentType}`);
    }
    if (contentType === 'application/json') {
      const pointer = ['paths', template, method.toLowerCase(), 'responses', String(response.status)]
        .map(escape)
        .join('/');
      const validate = ajv.compile({ $ref: `openapi.json#/${pointer}/content/application~1json/schema` });
      if (!validate(response.body)) {
        throw new Error(
          `${method} ${template} ${response.status} does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body, null, 2)}`,
        );
      }
    }
    return { template, status: response.status };
  };
}
