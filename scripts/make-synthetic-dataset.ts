/**
 * Writes a small synthetic dataset in the old accuracy check's layout (LOC_synset_mapping.txt, train/, valid/):
 * each class a hue and a shape. For trying `siglip validate` with no ImageNet at hand.
 *
 * Run: npx tsx scripts/make-synthetic-dataset.ts DIR [classes=20] [train-per-class=10] [valid-per-class=5]
 */
import { writeSyntheticDataset } from '../test/validate/support/syntheticDataset';

const [dir, classes = '20', train = '10', valid = '5'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: npx tsx scripts/make-synthetic-dataset.ts DIR [classes] [train-per-class] [valid-per-class]');
  process.exit(2);
}
const data = await writeSyntheticDataset({ dir, classes: Number(classes), trainPerClass: Number(train), validPerClass: Number(valid), size: 64 });
console.log(`wrote ${data.classes.length} classes, ${data.train.length} train and ${data.valid.length} valid images into ${dir}`);
