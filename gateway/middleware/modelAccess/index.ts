/** Checks that the tenant may use the model and that the backends serve it (and the version asked for). */
import type { MiddlewareHandler } from 'hono';
import { InferenceError, notFound } from '../../../shared/errors';
import type { ModelCatalog } from '../../backends/modelCatalog';
import type { GatewayEnv } from '../../env';
import type { TenantPolicy } from '../../types';
import { deferRejection } from '../deferRejection';

/** Options of `modelAccess`. */
export interface ModelAccessOptions {
  catalog: ModelCatalog;
}

/** 403 unless the tenant's policy lists the model (or '*'). */
export function assertModelAllowed(tenant: TenantPolicy, model: string): void {
  if (tenant.models !== '*' && !tenant.models.has(model)) {
    throw new InferenceError('FORBIDDEN', `tenant '${tenant.name}' may not use model '${model}'`);
  }
}

/**
 * Middleware factory for model routes: sets `c.var.model`. Failures are deferred to the rate limiter
 * (403 and 404 cost one token and carry RateLimit headers like any other answer to a tenant).
 */
export function modelAccess(options: ModelAccessOptions): MiddlewareHandler<GatewayEnv> {
  const { catalog } = options;
  return async function modelAccess(c, next) {
    await deferRejection(c, async () => {
      const name = c.get('modelName');
      assertModelAllowed(c.get('tenant'), name);
      const model = await catalog.get(name);
      if (!model) throw notFound(`unknown model '${name}'`);
      const version = c.get('modelVersion');
      if (version !== undefined && model.versions.length > 0 && !model.versions.includes(version)) {
        throw notFound(`unknown version ${version} of model '${name}' (it has ${model.versions.join(', ')})`);
      }
      c.set('model', model);
    });
    await next();
  };
}
