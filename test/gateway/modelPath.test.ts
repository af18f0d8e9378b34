import { describe, expect, it } from 'vitest';
import { parseModelPath, pathnameOf } from '../../gateway/routes/modelPath';

describe('parseModelPath', () => {
  it.each([
    ['GET', '/v2/models/siglip_vision', { model: 'siglip_vision', version: undefined, action: 'metadata', backendPath: '/v2/models/siglip_vision' }],
    ['GET', '/v2/models/siglip_vision/versions/1', { version: '1', action: 'metadata', backendPath: '/v2/models/siglip_vision/versions/1' }],
    ['POST', '/v2/models/m.v2-x/versions/12/infer', { model: 'm.v2-x', action: 'infer', backendPath: '/v2/models/m.v2-x/versions/12/infer' }],
    ['GET', '/v2/models/m/stats', { action: 'stats', backendPath: '/v2/models/m/stats' }],
  ])('parses %s %s', (method, path, expected) => {
    expect(parseModelPath(method, path)).toMatchObject(expected);
  });

  it.each([
    ['GET', '/v2/models/stats'],
    ['GET', '/v2/models/.hidden'],
    ['GET', '/v2/models/m%2Fx'],
    ['GET', '/v2/models/m/versions/v1'],
    ['GET', '/v2/models/m/'],
    ['POST', '/v2/models/m'],
    ['GET', '/v2/models/m/infer'],
    ['PUT', '/v2/models/m/infer'],
  ])('refuses %s %s', (method, path) => {
    expect(parseModelPath(method, path)).toBeUndefined();
  });

  it('sees paths after the URL parser resolved dot segments', () => {
    expect(pathnameOf('http://gw/v2/models/a/../../health/ready')).toBe('/v2/health/ready');
    expect(pathnameOf('http://gw/v2/models/%2e%2e/x')).toBe('/v2/x');
  });
});
