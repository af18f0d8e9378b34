/** What an encoder stack needs to know about its tower. */
export interface EncoderShape {
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  layerNormEps: number;
}
