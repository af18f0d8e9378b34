/**
 * The names of the served models and their tensors: the model-repository contract between the model tools that
 * write a repository, the backend that serves it and the gateway that routes to it.
 */

/** Model names in the repository. */
export const MODEL_NAMES = { vision: 'siglip_vision', text: 'siglip_text', embedImage: 'embed_image', embedText: 'embed_text' } as const;

/** Tensor names of those models (the Triton deployment's). */
export const TENSOR_NAMES = {
  pixelValues: 'PIXEL_VALUES',
  inputIds: 'INPUT_IDS',
  embedding: 'EMBEDDING',
  inputImage: 'INPUT_IMAGE',
  inputText: 'INPUT_TEXT',
} as const;
