import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeServiceEnv, interpolate } from './compose-env.js';

const COMPOSE = parse(
  `
x-env: &env
  NATS_URL: nats://nats:4222
  OTEL_EXPORTER_OTLP_ENDPOINT: http://jaeger:4318
services:
  nats: { image: nats }
  jaeger: { image: jaeger }
  postgres: { image: postgres }
  worker:
    volumes:
      - ./infra/config:/config:ro
      - data:/data
      - { type: bind, source: /srv/certs, target: /certs }
    environment:
      <<: *env
      PORT: "4300"
      DATABASE_URL: postgres://postgres:\${POSTGRES_PASSWORD:-secret}@postgres:5432/switchyard
      SWITCHYARD_CONFIG: /config/switchyard.yaml
      CA_FILE: /certs/ca.pem
      DATA_DIR: /data/x
      API_KEY: \${API_KEY:-}
      UPSTREAM: https://api.openai.com/v1
      LIMIT: 5
      DEBUG: true
  listy:
    environment:
      - NATS_URL=nats://nats:4222
      - FROM_SHELL
      - ESCAPED=$$HOME
`,
  { merge: true },
);

describe('stack compose-env', () => {
  it('stack compose-env: compose hosts become 127.0.0.1, ports stay unless mapped', () => {
    const env = composeServiceEnv(COMPOSE);
    expect(env['worker']).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:5432/switchyard',
      PORT: '4300',
      // Not a compose host: untouched.
      UPSTREAM: 'https://api.openai.com/v1',
      LIMIT: '5',
      DEBUG: 'true',
      API_KEY: '',
    });
  });

  it('stack compose-env: given ports replace the container ports, by host or host:port, and the own PORT', () => {
    const env = composeServiceEnv(COMPOSE, {
      ports: { nats: 14222, 'jaeger:4318': 14318, jaeger: 9999, postgres: 15432, worker: 14300 },
    });
    expect(env['worker']).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:14222',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:14318',
      DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:15432/switchyard',
      PORT: '14300',
    });
  });

  it('stack compose-env: variables feed the interpolation', () => {
    const env = composeServiceEnv(COMPOSE, { variables: { POSTGRES_PASSWORD: 'pw', API_KEY: 'sk-1', FROM_SHELL: 'yes' } });
    expect(env['worker']?.['DATABASE_URL']).toBe('postgres://postgres:pw@127.0.0.1:5432/switchyard');
    expect(env['worker']?.['API_KEY']).toBe('sk-1');
    expect(env['listy']).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', FROM_SHELL: 'yes', ESCAPED: '$HOME' });
  });

  it('stack compose-env: a list entry without value and without variable is left out', () => {
    expect(composeServiceEnv(COMPOSE)['listy']).toEqual({ NATS_URL: 'nats://127.0.0.1:4222', ESCAPED: '$HOME' });
  });

  it('stack compose-env: container paths under a bind mount become host paths', () => {
    const env = composeServiceEnv(COMPOSE, { projectDir: '/repo' });
    expect(env['worker']).toMatchObject({
      SWITCHYARD_CONFIG: '/repo/infra/config/switchyard.yaml',
      CA_FILE: '/srv/certs/ca.pem',
      // A named volume has no host path.
      DATA_DIR: '/data/x',
    });
    // Without a project directory, paths stay as written.
    expect(composeServiceEnv(COMPOSE)['worker']?.['SWITCHYARD_CONFIG']).toBe('/config/switchyard.yaml');
  });

  it('stack compose-env: services without environment get an empty one', () => {
    expect(composeServiceEnv(COMPOSE)['nats']).toEqual({});
    expect(composeServiceEnv({})).toEqual({});
  });
});

describe('stack compose interpolation', () => {
  const vars = { SET: 'v', EMPTY: '' };

  it('stack compose interpolation: defaults with and without colon', () => {
    expect(interpolate('${SET:-d} ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}', vars)).toBe('v d d  d');
  });

  it('stack compose interpolation: alternatives, plain forms and escapes', () => {
    expect(interpolate('${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|$SET|${SET}|$$SET|$UNSET|cost $5', vars)).toBe(
      'alt||alt|v|v|$SET||cost $5',
    );
  });

  it('stack compose interpolation: nested defaults', () => {
    expect(interpolate('${UNSET:-${SET}-x}', vars)).toBe('v-x');
    expect(interpolate('${UNSET:-${ALSO_UNSET:-deep}}', vars)).toBe('deep');
  });

  it('stack compose interpolation: required variables and bad syntax throw', () => {
    expect(interpolate('${SET:?needed}', vars)).toBe('v');
    expect(() => interpolate('${EMPTY:?set EMPTY}', vars)).toThrow('required variable EMPTY is not set: set EMPTY');
    expect(() => interpolate('${UNSET?}', vars)).toThrow('required variable UNSET is not set');
    expect(() => interpolate('${SET', vars)).toThrow('missing }');
    expect(() => interpolate('${1BAD}', vars)).toThrow('invalid interpolation');
  });
});
