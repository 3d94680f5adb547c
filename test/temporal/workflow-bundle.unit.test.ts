/**
 * The build id of worker versioning (src/temporal/workflow-bundle.ts): two workers share a version
 * if and only if they run the same workflow code — wherever the bundle was built.
 */
import { buildIdOf } from '../../src/temporal/workflow-bundle';

const code = 'exports.importWorkflows = function () { return require("./workflows"); };\n';
const sourceMap = (dir: string) =>
  `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify({ sources: [`${dir}/dist/workflows/index.js`] })).toString('base64')}`;

it('is the same for the same code built in two directories (the source map names the directory)', () => {
  expect(buildIdOf(code + sourceMap('/app'), '1.0.0')).toBe(
    buildIdOf(code + sourceMap('/home/ci/tokenpay'), '1.0.0'),
  );
  expect(buildIdOf(code + sourceMap('/app'), '1.0.0')).toBe(buildIdOf(code, '1.0.0'));
});

it('changes with one byte of the code, and with the package version', () => {
  expect(buildIdOf(code.replace('workflows', 'workflowz'), '1.0.0')).not.toBe(buildIdOf(code, '1.0.0'));
  expect(buildIdOf(code, '1.0.1')).not.toBe(buildIdOf(code, '1.0.0'));
  expect(buildIdOf(code, '1.0.0')).toMatch(/^1\.0\.0-[0-9a-f]{12}$/);
});
