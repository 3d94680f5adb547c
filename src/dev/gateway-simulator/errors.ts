/** An error the simulator answers with `{ error: { code, message } }`. Messages never contain card data. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

export const badRequest = (code: string, message: string): SimError => new SimError(400, code, message);
export const notFound = (code: string, message: string): SimError => new SimError(404, code, message);
