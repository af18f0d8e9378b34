/** A failure that stops `siglip validate`; its message says what to do. */
export class ValidateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidateError';
  }
}
