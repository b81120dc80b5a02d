// Installs the workspace's npm packages with the pinned pnpm and builds every
// package with `tsc -b`. Run by `npm test`, `npm run demo` and `npm run bench`,
// so a fresh machine with only Node 20 and npm needs nothing else.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })

const pnpm = ['-y', packageManager]
const install = ['install', '--prefer-offline', ...(process.env.CI ? ['--frozen-lockfile'] : [])]
run('npx', [...pnpm, ...install])
run(join(root, 'node_modules/.bin/tsc'), ['-b'])
// pnpm links a workspace package's bin only when its target exists: the
// first install on a fresh clone runs before the build made `tekka`.
if (!existsSync(join(root, 'node_modules/.bin/tekka'))) run('npx', [...pnpm, ...install, '--offline'])
