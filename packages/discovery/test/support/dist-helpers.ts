// The multi-process test helpers of @tekka/dist (real OS processes, free
// ports, waiting), used as they are: imported from its compiled tests, with
// their types from the declarations next to them. The runtime path is one
// level deeper than the type path because this file runs from dist/test/.
import type * as Procs from '../../../dist/dist/test/helpers/procs.js'
import type * as Ports from '../../../dist/dist/test/helpers/ports.js'
import type * as Wait from '../../../dist/dist/test/helpers/wait.js'

const helper = (file: string): string => new URL(`../../../../dist/dist/test/helpers/${file}`, import.meta.url).href

export const procs = await import(helper('procs.js')) as typeof Procs
export const ports = await import(helper('ports.js')) as typeof Ports
export const wait = await import(helper('wait.js')) as typeof Wait
export type { NodeProcess } from '../../../dist/dist/test/helpers/procs.js'

/** The `tekka` command. */
export const BIN = new URL('../../../../dist/dist/src/bin.js', import.meta.url).pathname
