import { describe, expect, it } from 'vitest';
import { ApiError, isApiError, isConflict, isGone, isInvalid, isNotFound } from './errors';
import { fieldError, FieldPath } from './field';

describe('ApiError', () => {
  it.each([
    ['NotFound', ApiError.notFound('pods', 'web'), 404, 'pods "web" not found'],
    ['AlreadyExists', ApiError.alreadyExists('deployments', 'web', 'apps'), 409, 'deployments.apps "web" already exists'],
    [
      'Conflict',
      ApiError.conflict('deployments', 'web', 'the object has been modified; please apply your changes to the latest version and try again', 'apps'),
      409,
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    ],
    ['Expired', ApiError.expired('too old resource version: 1 (5)'), 410, 'too old resource version: 1 (5)'],
  ])('%s carries the Kubernetes code and message', (reason, err, code, message) => {
    expect(err.reason).toBe(reason);
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect(err).toBeInstanceOf(Error);
  });

  it('formats Invalid with field paths as Kubernetes does', () => {
    const path = FieldPath.root('spec').child('template', 'spec', 'containers').index(0).child('name');
    const one = ApiError.invalid('Deployment', 'web', [fieldError.required(path)], 'apps');
    expect(one.message).toBe('Deployment.apps "web" is invalid: spec.template.spec.containers[0].name: Required value');
    expect(one.code).toBe(422);
    const two = ApiError.invalid('Pod', 'p', [fieldError.required('spec.containers'), fieldError.invalid('metadata.name', 'A', 'bad')]);
    expect(two.message).toBe('Pod "p" is invalid: [spec.containers: Required value, metadata.name: Invalid value: "A": bad]');
    expect(two.causes.map((c) => c.field)).toEqual(['spec.containers', 'metadata.name']);
  });

  it('round-trips through a Status object', () => {
    const err = ApiError.invalid('Pod', 'p', [fieldError.notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never'])]);
    const status = err.toStatus();
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', code: 422, reason: 'Invalid' });
    const back = ApiError.fromStatus(status);
    expect(back.message).toBe(err.message);
    expect(back.causes[0]?.message).toBe('Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
  });

  it('is recognised by name, so copies of the package interoperate', () => {
    const foreign = Object.assign(new Error('x'), { name: 'ApiError', reason: 'NotFound', code: 404 });
    expect(isApiError(foreign)).toBe(true);
    expect(isNotFound(foreign)).toBe(true);
    expect(isConflict(foreign)).toBe(false);
    expect(isInvalid(new Error('x'))).toBe(false);
    expect(isGone(ApiError.expired('old'))).toBe(true);
  });
});
