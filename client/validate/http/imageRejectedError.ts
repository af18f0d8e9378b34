/** The server refused one image (a 4xx answer to embed_image other than auth and not-found): reported and skipped. */
export class ImageRejectedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ImageRejectedError';
  }
}
