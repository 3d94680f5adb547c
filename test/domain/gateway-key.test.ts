import { parseGatewayKey } from '../../src/domain/gateway-key';

const SESSION = 'ab'.repeat(32);

describe('parseGatewayKey', () => {
  it.each([
    [`${SESSION}:attempt:1`, { sessionId: SESSION, kind: 'attempt', n: 1 }],
    [`${SESSION}:operation:12`, { sessionId: SESSION, kind: 'operation', n: 12 }],
    [`${SESSION}:abandon:3`, { sessionId: SESSION, kind: 'abandon', n: 3 }],
  ])('%s names its payment', (key, expected) => {
    expect(parseGatewayKey(key)).toEqual(expected);
  });

  it.each([
    '',
    SESSION,
    `${SESSION}:attempt:0`,
    `${SESSION}:attempt:01`,
    `${SESSION}:attempt:-1`,
    `${SESSION}:attempt:1:x`,
    `${SESSION}:refund:1`,
    `${SESSION.toUpperCase()}:attempt:1`,
    `${SESSION.slice(2)}:attempt:1`,
    `x${SESSION}:attempt:1`,
    `${SESSION}:attempt:1234567890`,
    'test-0123456789abcdef',
  ])('%j is not a key the engine makes', (key) => {
    expect(parseGatewayKey(key)).toBeUndefined();
  });
});
