import { CLIP_IMAGENET_TEMPLATES, OLD_TABLE_TEMPLATES, type Template } from './templates';

/** Templates scored together: one template, or an ensemble whose class embedding averages theirs. */
export interface TemplateSet {
  /** Row id prefix: `old1`, `user2`, `user_ensemble`, `clip80`. */
  id: string;
  /** What the table's template column shows. */
  template: string;
  templates: Template[];
}

/** The zero-shot rows of a run: the old table's three, each of the user's (and their ensemble), the CLIP 80 ensemble. */
export function templateSets(user: readonly Template[], clipEnsemble: boolean): TemplateSet[] {
  const sets: TemplateSet[] = OLD_TABLE_TEMPLATES.map((t, i) => ({ id: `old${i + 1}`, template: t, templates: [t] }));
  user.forEach((t, i) => sets.push({ id: `user${i + 1}`, template: t, templates: [t] }));
  if (user.length > 1) sets.push({ id: 'user_ensemble', template: `${user.length} templates of the template file`, templates: [...user] });
  if (clipEnsemble) sets.push({ id: 'clip80', template: `${CLIP_IMAGENET_TEMPLATES.length} CLIP ImageNet templates`, templates: [...CLIP_IMAGENET_TEMPLATES] });
  return sets;
}
