import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIP_IMAGENET_TEMPLATES, fillTemplate, OLD_TABLE_TEMPLATES, readTemplateFile } from '../../client/validate/zeroShot/templates';

const tench = { synset: 'n01440764', description: 'tench, Tinca tinca' };

describe('prompt templates', () => {
  it("fills the old table's templates with the description and the synset", () => {
    expect(OLD_TABLE_TEMPLATES.map((t) => fillTemplate(t, tench))).toEqual([
      'A photo of tench, Tinca tinca.',
      'This is a photo containing images of tench, Tinca tinca.',
      "This is a photo from ImageNet's n01440764 category. This category contains photos of tench, Tinca tinca.",
    ]);
  });

  it('has the 80 distinct CLIP ImageNet templates, each naming the class', () => {
    expect(CLIP_IMAGENET_TEMPLATES).toHaveLength(80);
    expect(new Set(CLIP_IMAGENET_TEMPLATES).size).toBe(80);
    for (const t of CLIP_IMAGENET_TEMPLATES) expect(t).toContain('{text}');
    expect(CLIP_IMAGENET_TEMPLATES[0]).toBe('a bad photo of a {text}.');
    expect(CLIP_IMAGENET_TEMPLATES[79]).toBe('a tattoo of the {text}.');
  });

  it('reads a template file line by line, skipping blanks and comments, and refuses one without placeholders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-templates-'));
    try {
      const path = join(dir, 't.txt');
      await writeFile(path, '# mine\nA {text}.\n\n  An image of {label}: {text}  \r\n');
      expect(await readTemplateFile(path)).toEqual(['A {text}.', 'An image of {label}: {text}']);
      await writeFile(path, 'A photo.\n');
      await expect(readTemplateFile(path)).rejects.toThrow('has neither {text} nor {label}');
      await expect(readTemplateFile(join(dir, 'missing.txt'))).rejects.toThrow('cannot read the template file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
