/**
 * Owner-only files for key material, written atomically (tmp file + rename or link),
 * so a crash or a concurrent start never leaves a half-written key file behind.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export async function ensureKeyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

async function writeTmp(path: string, data: string): Promise<string> {
  await ensureKeyDir(dirname(path));
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // open()'s mode is masked by the umask; make sure it is exactly 0600.
  await chmod(tmp, FILE_MODE);
  return tmp;
}

/** Replace `path` with `data` atomically (mode 0600). */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = await writeTmp(path, data);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Create `path` with `data` only if it does not exist yet (atomic across processes: hard link).
 * Returns false when another writer got there first; the caller then reads that file.
 */
export async function createFileExclusive(path: string, data: string): Promise<boolean> {
  const tmp = await writeTmp(path, data);
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === code;
}
