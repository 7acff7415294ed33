// Summarises a V8 .cpuprofile (from E2E_CPU_PROF=<dir> bash bench/e2e.sh …): self time by function and by file,
// so a profile of a benchmark child can be read without a browser.
// Usage: node bench/e2e/profile-summary.ts <file.cpuprofile> [top=30]
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
const top = Number(topArg ?? 30)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const selfUs = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}
const total = profile.endTime - profile.startTime
const shortUrl = (url: string): string => url.replace(/^file:\/\/\/work\/main\//, '').replace(/^node:/, 'node:')
const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame
  const where = url === '' ? '' : ` ${shortUrl(url)}:${lineNumber + 1}`
  const fn = `${functionName === '' ? '(anonymous)' : functionName}${where}`
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us)
  const f = url === '' ? `(${functionName})` : shortUrl(url)
  byFile.set(f, (byFile.get(f) ?? 0) + us)
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`
const print = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
  }
}
console.log(`${file}: ${(total / 1e6).toFixed(2)} s profiled`)
print('self time by file', byFile)
print('self time by function', byFunction)
