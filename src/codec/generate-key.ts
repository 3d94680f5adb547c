/**
 * Prints a new payload-codec key as one `TOKENPAY_CODEC_KEYS` entry, `id:base64`.
 *
 *   node dist/codec/generate-key.js [keyId]
 *
 * To rotate, put the new entry first and keep the old ones: TOKENPAY_CODEC_KEYS=new:...,old:...
 * The line printed is a secret: store it in the secret store, not in a file under version control.
 */
import { generateCodecKey } from './keys';

if (require.main === module) {
  try {
    process.stdout.write(`${generateCodecKey(process.argv[2]).entry}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
