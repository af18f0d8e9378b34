// Image preprocessing for SigLIP: HF SiglipImageProcessor in TypeScript.
export { decodeImageRgb8, type SharpResize } from './decodeImage';
export { DEFAULT_IMAGE_LIMITS, imageLimitsSchema, type ImageLimits } from './imageLimits';
export {
  imageProcessorConfigSchema,
  loadImageProcessorConfig,
  parseImageProcessorConfig,
  PIL_RESAMPLE,
  SO400M_IMAGE_PROCESSOR,
  type ImageProcessorConfig,
  type ResampleFilter,
} from './imageProcessorConfig';
export { normalizationTables, writeChw } from './normalizeChw';
export { pixelValuesLength, preprocessImage, type Resizer } from './preprocessImage';
export { axisCoefficients, type FixedPointScheme } from './resampleCoefficients';
export { resizeImage8, type Image8 } from './resizeImage8';
