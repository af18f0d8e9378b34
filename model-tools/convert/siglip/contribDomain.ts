/** onnxruntime's contrib-op domain (MultiHeadAttention, Attention, SkipLayerNormalization, FastGelu; ContribOperators.md). */
export const MS_DOMAIN = 'com.microsoft';
