/** RFC 9457 problem details with the slugs of API.md. */
export interface FieldError { path?: string; line?: number; message: string }

export const MAX_ERRORS = 100;

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }

  toJSON() {
    const body: Record<string, unknown> = {
      type: `/problems/${this.slug}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
    };
    if (this.errors) body.errors = this.errors.slice(0, MAX_ERRORS);
    return body;
  }
}

export const validation = (detail: string, errors: FieldError[] = []) =>
  new Problem(400, 'validation', 'Invalid request', detail, errors);
export const invalidInput = (detail: string, errors: FieldError[] = []) =>
  new Problem(422, 'validation', 'Invalid input', detail, errors);
export const unauthorized = (detail = 'A valid bearer token is required') =>
  new Problem(401, 'unauthorized', 'Unauthorized', detail);
export const forbidden = (detail = 'Your role may not do this') =>
  new Problem(403, 'forbidden', 'Forbidden', detail);
export const notFound = (what = 'Resource') =>
  new Problem(404, 'not-found', 'Not found', `${what} not found`);
export const invalidState = (detail: string) =>
  new Problem(409, 'invalid-state', 'Invalid state', detail);
export const conflict = (slug: string, title: string, detail: string) => new Problem(409, slug, title, detail);
export const unprocessable = (slug: string, title: string, detail: string, errors?: FieldError[]) =>
  new Problem(422, slug, title, detail, errors);
export const tooLarge = (detail = 'The request body is too large') =>
  new Problem(413, 'payload-too-large', 'Payload too large', detail);
export const unsupportedMediaType = (detail: string) =>
  new Problem(415, 'unsupported-media-type', 'Unsupported media type', detail);
