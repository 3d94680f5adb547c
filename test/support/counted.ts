import fc from 'fast-check';

/**
 * Counts the values fast-check generates through `counted(arb)` and prints the total when the file
 * ends (the suite reports how many cases it tried).
 */
export function caseCounter(name: string): <T>(arb: fc.Arbitrary<T>) => fc.Arbitrary<T> {
  let cases = 0;
  afterAll(() => {
    console.log(`property/${name}: ${cases} generated cases`);
  });
  return (arb) =>
    arb.map((v) => {
      cases++;
      return v;
    });
}
